/**
 * Peek at the start of a response body for Capillary's envelope code (498 token expired, 401, 403 inside a
 * JSON body sent with HTTP 200) without reading it as text: a bounded prefix of the raw bytes is scanned and
 * the body is handed on byte for byte, still streaming.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Pull from "effect/Pull"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/** How much of a body is examined: enough for any envelope Capillary puts first, small for big downloads. */
export const peekLimitBytes = 64 * 1024

/** An incremental reader of the envelope code at the start of a JSON body, fed raw bytes chunk by chunk. */
export interface EnvelopeScanner {
  /** Scan the next bytes (any chunking); true once the verdict is decided, after which pushes are ignored. */
  readonly push: (chunk: Uint8Array) => boolean
  /** No more bytes will come (the body ended or the limit was reached): decide with what has been seen. */
  readonly end: () => void
  /** The envelope code of the verdict; `undefined` for no code, a non-object or invalid JSON. */
  readonly code: number | undefined
}

// Modes of the tokenizer.
const M_BOM0 = 0 // very first byte: maybe a BOM
const M_BOM1 = 1
const M_BOM2 = 2
const M_VALUE = 3 // a value is expected (after ':', ',' in an array, or at the top)
const M_OBJ_FIRST = 4 // after '{': a key or '}'
const M_OBJ_KEY = 5 // after ',' in an object: a key
const M_COLON = 6
const M_OBJ_NEXT = 7 // after a member: ',' or '}'
const M_ARR_FIRST = 8 // after '[': a value or ']'
const M_ARR_NEXT = 9 // after an element: ',' or ']'
const M_STRING = 10
const M_ESCAPE = 11
const M_UHEX = 12
const M_NUMBER = 13
const M_LITERAL = 14

// Roles of an open container (only the envelope's own containers have one).
const R_OTHER = 0
const R_ROOT = 1
const R_RESPONSE = 2
const R_STATUS = 3
const R_ERRORS = 4
const R_ERR0 = 5

// Slots: where the value being read sits.
const S_OTHER = 0
const S_ROOT = 1
const S_RESPONSE = 2 // root.response
const S_STATUS = 3 // root.response.status
const S_STATUS_CODE = 4 // root.response.status.code
const S_ERROR_CODE = 5 // root.errorCode
const S_ERRORS = 6 // root.errors
const S_ERR0 = 7 // root.errors[0]
const S_ERR0_CODE = 8 // root.errors[0].code

// What a string is read for.
const STR_SKIP = 0
const STR_KEY = 1
const STR_CODE = 2

// Numbers: states of the JSON number grammar.
const N_MINUS = 0
const N_ZERO = 1
const N_INT = 2
const N_DOT = 3
const N_FRAC = 4
const N_E = 5
const N_ESIGN = 6
const N_EXP = 7

// A code given as a string: whitespace, digits, whitespace (as `toCode` in classify.ts).
const C_LEAD = 0
const C_DIGITS = 1
const C_TRAIL = 2
const C_BAD = 3

/** Longest key kept: the envelope's keys are short, anything longer is no envelope key. */
const KEY_CAP = 16
/** Significant digits kept of a code; further digits only shift the exponent. */
const DIGITS_CAP = 64
const EXPONENT_CAP = 1e9

const literals = new Map([
  [0x74, "true"],
  [0x66, "false"],
  [0x6e, "null"]
])
/** The character of each one-letter escape, by its letter. */
const escapes = new Map([
  [0x22, '"'],
  [0x5c, "\\"],
  [0x2f, "/"],
  [0x62, "\b"],
  [0x66, "\f"],
  [0x6e, "\n"],
  [0x72, "\r"],
  [0x74, "\t"]
])
const jsSpace = /^\s$/

const isJsonSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
const isDigit = (b: number) => b >= 0x30 && b <= 0x39
const hexValue = (b: number) => {
  if (b >= 0x30 && b <= 0x39) return b - 0x30
  const lower = b | 0x20
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1
}

const rootSlots = new Map([
  ["response", S_RESPONSE],
  ["errorCode", S_ERROR_CODE],
  ["errors", S_ERRORS]
])

const keySlot = (role: number, key: string): number => {
  switch (role) {
    case R_ROOT:
      return rootSlots.get(key) ?? S_OTHER
    case R_RESPONSE:
      return key === "status" ? S_STATUS : S_OTHER
    case R_STATUS:
      return key === "code" ? S_STATUS_CODE : S_OTHER
    case R_ERR0:
      return key === "code" ? S_ERR0_CODE : S_OTHER
    default:
      return S_OTHER
  }
}

const isCodeSlot = (slot: number) => slot === S_STATUS_CODE || slot === S_ERROR_CODE || slot === S_ERR0_CODE

/** Where the skim is: inside the root object (at `depth`), in a string or not, and its last three bytes. */
interface SkimState {
  root: boolean
  depth: number
  inString: boolean
  /** The three bytes skimmed before the current chunk, oldest highest: a key may end across chunks. */
  tail: number
}

/**
 * The skim. The tokenizer decides early only at a key ending `ode"` (`code`, `errorCode`), at the end of a
 * `response.status` (after the root key `response`), at the root's end, or at a body that is no object; a key
 * spelled with an escape could be any of those. Until one of them may have come, a body that opened as an object
 * is only skimmed for string ends and nesting, several times faster than the tokenizer, and held. False when the
 * tokenizer must take over, from the first byte. A BOM or invalid bytes are the tokenizer's to judge: a BOM hands
 * over at once, and invalid JSON inside the object is only found once it takes over (same verdict, no code).
 * Module-level, with locals in the loop: the scanner's closures would make it slower.
 */
const skim = (bytes: Uint8Array, state: SkimState): boolean => {
  const n = bytes.length
  let i = 0
  if (!state.root) {
    while (i < n && isJsonSpace(bytes[i]!)) i++
    if (i === n) return true
    if (bytes[i] !== 0x7b) return false
    state.root = true
    state.depth = 1
    i++
  }
  let depth = state.depth
  let inString = state.inString
  while (i < n) {
    let b = bytes[i]!
    if (inString || b === 0x22) {
      // Through the string to its closing quote; an escape could spell a key, so the tokenizer takes over.
      if (!inString) i++
      inString = true
      while (i < n) {
        b = bytes[i]!
        if (b === 0x22 || b === 0x5c) break
        i++
      }
      if (i === n) break
      if (b === 0x5c) return false
      const last3 = lastThree(bytes, i, state.tail)
      if (last3 === ODE || (depth === 1 && last3 === NSE)) return false
      inString = false
    } else if (b === 0x7b || b === 0x5b) depth++
    else if ((b === 0x7d || b === 0x5d) && --depth === 0) return false
    i++
  }
  state.depth = depth
  state.inString = inString
  state.tail = lastThree(bytes, n, state.tail)
  return true
}

/** `ode` (the end of `code`, `errorCode`) and `nse` (of `response`), as three bytes, first highest. */
const ODE = 0x6f6465
const NSE = 0x6e7365

/** The three bytes before `bytes[i]`, first highest; those before the chunk's start come from `tail`. */
const lastThree = (bytes: Uint8Array, i: number, tail: number): number =>
  i >= 3
    ? (bytes[i - 3]! << 16) | (bytes[i - 2]! << 8) | bytes[i - 1]!
    : ((tail << (8 * i)) | (i > 0 ? chunkHead(bytes, i) : 0)) & 0xffffff

/** The first `i` (< 3) bytes of a chunk as one number, first highest. */
const chunkHead = (bytes: Uint8Array, i: number): number =>
  i === 1 ? bytes[0]! : (bytes[0]! << 8) | bytes[1]!

/**
 * Scan a JSON body incrementally for the envelope code `bodyCode` (classify.ts) would find in it, deciding
 * as early as possible, in O(bytes) time and O(depth) memory; it never throws.
 */
export const envelopeScanner = (): EnvelopeScanner => {
  let decided = false
  let code: number | undefined

  // What the first top-level value has said so far.
  let statusOpen = false
  let errorCodeSeen = false
  let errorCode: number | undefined
  let errorsCode: number | undefined

  let mode = M_BOM0
  /** Open containers, innermost last: role * 2 + (array ? 1 : 0). */
  const stack: Array<number> = []
  let slot = S_ROOT

  let strUse = STR_SKIP
  let strIsKey = false
  let key = ""
  let hexLeft = 0
  let hex = 0

  let numState = N_INT
  let literal = ""
  let literalAt = 0

  // The code being read, as significant digits times 10^scale.
  let negative = false
  let mantissa = ""
  let scale = 0
  let expNegative = false
  let exponent = 0
  let codePhase = C_LEAD
  let utf8: TextDecoder | undefined

  const decide = (c: number | undefined) => {
    decided = true
    code = c
  }
  const fail = () => decide(undefined)
  /** The verdict when the first value ends (or the input stops) without a `response.status.code`. */
  const remembered = () => (statusOpen ? undefined : errorCodeSeen ? errorCode : errorsCode)

  const topRole = () => {
    const top = stack[stack.length - 1]
    return top === undefined ? R_OTHER : top >> 1
  }

  const setCode = (at: number, c: number | undefined) => {
    if (at === S_STATUS_CODE) decide(c)
    else if (at === S_ERROR_CODE) {
      errorCodeSeen = true
      errorCode = c
    } else if (at === S_ERR0_CODE) errorsCode = c
  }

  const finite = (n: number) => (Number.isFinite(n) ? n : undefined)
  const digitsValue = () => {
    if (mantissa === "") return negative ? -0 : 0
    const power = scale + (expNegative ? -exponent : exponent)
    return Number(`${negative ? "-" : ""}${mantissa}e${power}`)
  }

  const resetDigits = () => {
    negative = false
    mantissa = ""
    scale = 0
    expNegative = false
    exponent = 0
  }
  const intDigit = (d: number) => {
    if (mantissa === "" && d === 0x30) return
    if (mantissa.length < DIGITS_CAP) mantissa += String.fromCharCode(d)
    else scale += 1
  }
  const fracDigit = (d: number) => {
    if (mantissa === "" && d === 0x30) scale -= 1
    else if (mantissa.length < DIGITS_CAP) {
      mantissa += String.fromCharCode(d)
      scale -= 1
    }
  }

  /** One UTF-16 unit of a code given as a string. */
  const codeUnit = (u: number) => {
    if (codePhase === C_BAD) return
    if (isDigit(u)) {
      if (codePhase === C_TRAIL) codePhase = C_BAD
      else {
        codePhase = C_DIGITS
        intDigit(u)
      }
    } else if (jsSpace.test(String.fromCharCode(u))) {
      if (codePhase === C_DIGITS) codePhase = C_TRAIL
    } else codePhase = C_BAD
  }
  const codeText = (s: string) => {
    for (let k = 0; k < s.length; k++) codeUnit(s.charCodeAt(k))
  }
  /** Raw non-ASCII bytes of a code string are decoded as a whole-body TextDecoder would. */
  const flushUtf8 = () => {
    if (utf8 !== undefined) {
      codeText(utf8.decode())
      utf8 = undefined
    }
  }
  /** A character of the current string, from a plain byte or an escape. */
  const stringText = (s: string) => {
    if (strUse === STR_KEY) {
      if (key.length <= KEY_CAP) key += s
    } else if (strUse === STR_CODE) {
      flushUtf8()
      codeText(s)
    }
  }

  const afterValue = () => {
    const top = stack[stack.length - 1]
    if (top === undefined) decide(remembered())
    else mode = (top & 1) === 1 ? M_ARR_NEXT : M_OBJ_NEXT
  }

  const close = (array: boolean) => {
    const top = stack.pop()
    if (top === undefined || (top & 1) !== (array ? 1 : 0)) return fail()
    if (top >> 1 === R_STATUS) return decide(undefined)
    afterValue()
  }

  const startString = () => {
    strIsKey = false
    if (isCodeSlot(slot)) {
      strUse = STR_CODE
      resetDigits()
      codePhase = C_LEAD
    } else strUse = STR_SKIP
    mode = M_STRING
  }

  const startKey = () => {
    strIsKey = true
    strUse = topRole() === R_OTHER ? STR_SKIP : STR_KEY
    key = ""
    mode = M_STRING
  }

  const endString = () => {
    if (strIsKey) {
      slot = strUse === STR_KEY ? keySlot(topRole(), key) : S_OTHER
      mode = M_COLON
      return
    }
    if (strUse === STR_CODE) {
      flushUtf8()
      setCode(slot, codePhase === C_DIGITS || codePhase === C_TRAIL ? finite(digitsValue()) : undefined)
      if (decided) return
    }
    afterValue()
  }

  const open = (array: boolean) => {
    let role = R_OTHER
    if (array) {
      if (slot === S_ERRORS) role = R_ERRORS
    } else if (slot === S_ROOT) role = R_ROOT
    else if (slot === S_RESPONSE) role = R_RESPONSE
    else if (slot === S_STATUS) {
      role = R_STATUS
      statusOpen = true
    } else if (slot === S_ERR0) role = R_ERR0
    stack.push(role * 2 + (array ? 1 : 0))
    mode = array ? M_ARR_FIRST : M_OBJ_FIRST
  }

  const startValue = (b: number) => {
    const isObject = b === 0x7b
    if (slot === S_ROOT && !isObject) return fail() // not an object (or not JSON): no envelope
    if (slot === S_ERRORS) errorsCode = undefined // a (repeated) `errors` replaces what came before
    if (isCodeSlot(slot) && (isObject || b === 0x5b)) {
      setCode(slot, undefined)
      if (decided) return
    }
    if (isObject || b === 0x5b) return open(!isObject)
    if (b === 0x22) return startString()
    if (b === 0x2d || isDigit(b)) {
      resetDigits()
      if (b === 0x2d) {
        negative = true
        numState = N_MINUS
      } else if (b === 0x30) numState = N_ZERO
      else {
        numState = N_INT
        intDigit(b)
      }
      mode = M_NUMBER
      return
    }
    const word = literals.get(b)
    if (word === undefined) return fail()
    literal = word
    literalAt = 1
    mode = M_LITERAL
  }

  /** Consume a byte of a number; false when the byte ends the number and must be read again after it. */
  const numberByte = (b: number): boolean => {
    const digit = isDigit(b)
    const e = b === 0x65 || b === 0x45
    switch (numState) {
      case N_MINUS:
      case N_DOT:
      case N_ESIGN:
        // A digit must follow.
        if (!digit) fail()
        else if (numState === N_MINUS) {
          numState = b === 0x30 ? N_ZERO : N_INT
          intDigit(b)
        } else if (numState === N_DOT) {
          numState = N_FRAC
          fracDigit(b)
        } else {
          numState = N_EXP
          exponent = b - 0x30
        }
        return true
      case N_E:
        if (b === 0x2b || b === 0x2d) {
          expNegative = b === 0x2d
          numState = N_ESIGN
        } else if (digit) {
          numState = N_EXP
          exponent = b - 0x30
        } else fail()
        return true
      case N_ZERO:
      case N_INT:
      case N_FRAC:
        if (digit && numState !== N_ZERO) {
          if (numState === N_INT) intDigit(b)
          else fracDigit(b)
          return true
        }
        if (b === 0x2e && numState !== N_FRAC) {
          numState = N_DOT
          return true
        }
        if (e) {
          numState = N_E
          return true
        }
        break
      default:
        if (digit) {
          exponent = Math.min(exponent * 10 + (b - 0x30), EXPONENT_CAP)
          return true
        }
    }
    // The number ended before this byte.
    if (isCodeSlot(slot)) {
      setCode(slot, finite(digitsValue()))
      if (decided) return true
    }
    afterValue()
    return decided
  }

  /** Consume a byte (or not: false asks for it again in the new mode). */
  const step = (b: number): boolean => {
    switch (mode) {
      case M_BOM0:
        if (b === 0xef) mode = M_BOM1
        else {
          mode = M_VALUE
          return false
        }
        return true
      case M_BOM1:
        if (b === 0xbb) mode = M_BOM2
        else fail()
        return true
      case M_BOM2:
        if (b === 0xbf) mode = M_VALUE
        else fail()
        return true
      case M_VALUE:
        if (!isJsonSpace(b)) startValue(b)
        return true
      case M_OBJ_FIRST:
      case M_OBJ_KEY:
        if (isJsonSpace(b)) return true
        if (b === 0x22) startKey()
        else if (b === 0x7d && mode === M_OBJ_FIRST) close(false)
        else fail()
        return true
      case M_COLON:
        if (b === 0x3a) mode = M_VALUE
        else if (!isJsonSpace(b)) fail()
        return true
      case M_OBJ_NEXT:
        if (b === 0x2c) mode = M_OBJ_KEY
        else if (b === 0x7d) close(false)
        else if (!isJsonSpace(b)) fail()
        return true
      case M_ARR_FIRST:
        if (isJsonSpace(b)) return true
        if (b === 0x5d) close(true)
        else {
          slot = topRole() === R_ERRORS ? S_ERR0 : S_OTHER
          startValue(b)
        }
        return true
      case M_ARR_NEXT:
        if (b === 0x2c) {
          slot = S_OTHER
          mode = M_VALUE
        } else if (b === 0x5d) close(true)
        else if (!isJsonSpace(b)) fail()
        return true
      case M_STRING:
        if (b === 0x22) endString()
        else if (b === 0x5c) mode = M_ESCAPE
        else if (b < 0x20) fail()
        else if (b < 0x80) stringText(String.fromCharCode(b))
        else if (strUse === STR_KEY) {
          if (key.length <= KEY_CAP) key += "\ufffd"
        } else if (strUse === STR_CODE && codePhase !== C_BAD) {
          utf8 ??= new TextDecoder("utf-8", { ignoreBOM: true })
          codeText(utf8.decode(Uint8Array.of(b), { stream: true }))
        }
        return true
      case M_ESCAPE: {
        const escaped = escapes.get(b)
        if (escaped !== undefined) {
          stringText(escaped)
          mode = M_STRING
        } else if (b === 0x75) {
          hexLeft = 4
          hex = 0
          mode = M_UHEX
        } else fail()
        return true
      }
      case M_UHEX: {
        const h = hexValue(b)
        if (h < 0) fail()
        else {
          hex = hex * 16 + h
          hexLeft -= 1
          if (hexLeft === 0) {
            stringText(String.fromCharCode(hex))
            mode = M_STRING
          }
        }
        return true
      }
      case M_NUMBER:
        return numberByte(b)
      default:
        if (b !== literal.charCodeAt(literalAt)) fail()
        else {
          literalAt += 1
          if (literalAt === literal.length) {
            setCode(slot, undefined)
            if (!decided) afterValue()
          }
        }
        return true
    }
  }

  const scan = (bytes: Uint8Array) => {
    const n = bytes.length
    let i = 0
    while (i < n && !decided) {
      if (mode === M_STRING && strUse === STR_SKIP) {
        // Fast path through a string nobody needs: stop at its end, an escape or a control byte.
        let b = bytes[i]!
        while (b !== 0x22 && b !== 0x5c && b >= 0x20 && ++i < n) b = bytes[i]!
        if (i === n) break
      } else if (mode === M_NUMBER && (numState === N_INT || numState === N_FRAC) && !isCodeSlot(slot)) {
        // Fast path through the digits of a number nobody needs (its digits are kept only for a code).
        let b = bytes[i]!
        while (b >= 0x30 && b <= 0x39 && ++i < n) b = bytes[i]!
        if (i === n) break
      }
      if (step(bytes[i]!)) i++
    }
  }

  const scanSafely = (bytes: Uint8Array) => {
    try {
      scan(bytes)
    } catch {
      fail()
    }
  }

  // The skim (see `skim`): bytes held until the tokenizer takes over, or all of them when it never does.
  let held: Array<Uint8Array> | undefined = []
  const skimState: SkimState = { root: false, depth: 0, inString: false, tail: 0 }

  return {
    push: (chunk) => {
      if (decided) return true
      if (held === undefined) scanSafely(chunk)
      else {
        held.push(chunk)
        if (skim(chunk, skimState)) return false
        // The tokenizer takes over from the first byte.
        const all = held
        held = undefined
        for (const bytes of all) scanSafely(bytes)
      }
      return decided
    },
    end: () => {
      // A skimmed body had no key the code sits under: the tokenizer would find none either.
      if (!decided) decide(held === undefined ? remembered() : undefined)
    },
    get code() {
      return code
    }
  }
}

/** Options of `peekBody`. */
export interface PeekOptions {
  /** Bytes examined at most (default `peekLimitBytes`). */
  readonly limit?: number
  /** Turns a read failure of the source into the caller's error, before the decision and after it. */
  readonly mapError?: (e: unknown) => unknown
}

/**
 * The envelope code at the start of a body, found from a bounded prefix of its raw bytes, and the body itself
 * handed on untouched and still streaming: the chunks read, then the rest of the source, pulled on demand.
 */
export const peekBody = async (
  body: ReadableStream<Uint8Array>,
  options?: PeekOptions
): Promise<{ code: number | undefined; body: ReadableStream<Uint8Array> }> => {
  const limit = options?.limit ?? peekLimitBytes
  const mapError = options?.mapError ?? ((e: unknown) => e)
  const reader = body.getReader()
  const scanner = envelopeScanner()
  const peeked: Array<Uint8Array> = []
  let read = 0
  let ended = false
  try {
    for (;;) {
      if (!(read < limit)) {
        scanner.end()
        break
      }
      const next = await reader.read()
      if (next.done) {
        ended = true
        scanner.end()
        break
      }
      const chunk: unknown = next.value
      peeked.push(next.value)
      if (!ArrayBuffer.isView(chunk)) {
        // Not bytes: nothing to read a code from, pass it on as it is.
        scanner.end()
        break
      }
      const bytes =
        chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      const room = limit - read
      read += bytes.byteLength
      if (scanner.push(bytes.byteLength > room ? bytes.subarray(0, room) : bytes)) break
    }
  } catch (e) {
    throw mapError(e)
  }
  const rest = new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        const chunk = peeked.shift()
        if (chunk !== undefined) return controller.enqueue(chunk)
        if (ended) return controller.close()
        let next: ReadableStreamReadResult<Uint8Array>
        try {
          next = await reader.read()
        } catch (e) {
          return controller.error(mapError(e))
        }
        if (next.done) controller.close()
        else controller.enqueue(next.value)
      },
      cancel: (reason) => {
        peeked.length = 0
        return reader.cancel(reason)
      }
    },
    { highWaterMark: 0 }
  )
  return { code: scanner.code, body: rest }
}

/**
 * `peekBody` for an Effect `Stream` (the Effect middleware's bodies): the envelope code from a bounded prefix,
 * and the body as a stream of the very same chunks, those read first and then the rest of the source, pulled
 * on demand. No web stream in between: each layer of conversion cost every chunk a hop. The source is pulled in
 * a scope of its own, closed when the returned stream ends, fails or is interrupted (or at once, if peeking
 * fails).
 */
export const peekStream = <E>(
  source: Stream.Stream<Uint8Array, E>,
  limit = peekLimitBytes
): Effect.Effect<{ readonly code: number | undefined; readonly stream: Stream.Stream<Uint8Array, E> }, E> =>
  Effect.flatMap(Scope.make(), (scope) =>
    Effect.gen(function* () {
      const pull = yield* Scope.provide(Stream.toPull(source), scope)
      const scanner = envelopeScanner()
      const seen: Array<Uint8Array> = []
      let read = 0
      let ended = false
      let decided = false
      while (!decided && read < limit) {
        const chunks = yield* Pull.catchDone(pull, () => Effect.succeed(undefined))
        if (chunks === undefined) {
          ended = true
          break
        }
        for (const chunk of chunks) {
          seen.push(chunk)
          if (decided) continue
          const room = limit - read
          read += chunk.byteLength
          decided = scanner.push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk)
        }
      }
      scanner.end()
      const rest = ended
        ? Stream.fromIterable(seen)
        : Stream.concat(Stream.fromIterable(seen), Stream.fromPull(Effect.succeed(pull)))
      return { code: scanner.code, stream: Stream.ensuring(rest, Scope.close(scope, Exit.void)) }
    }).pipe(Effect.onError(() => Scope.close(scope, Exit.void)))
  )
