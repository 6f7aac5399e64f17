import { describe, expect, it } from "vitest"
import { bodyCode, isJsonDocument } from "../src/internal/classify.ts"
import { envelopeScanner, peekBody, peekLimitBytes } from "../src/internal/peek.ts"

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

const encoder = new TextEncoder()
const BOM = [0xef, 0xbb, 0xbf]

/** Bytes from text (UTF-8) and raw byte lists, in order. */
const bytes = (...parts: Array<string | ReadonlyArray<number> | Uint8Array>): Uint8Array => {
  const encoded = parts.map((p) => (typeof p === "string" ? encoder.encode(p) : Uint8Array.from(p)))
  return concat(encoded)
}

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

/** A small seeded generator (mulberry32): deterministic runs. */
const random = (seed: number) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[int(0, xs.length - 1)]!
  return { next, int, pick }
}
type Random = ReturnType<typeof random>

/** Split into chunks of sizes drawn from [min, max]. */
const split = (data: Uint8Array, r: Random, min: number, max: number): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  let at = 0
  while (at < data.byteLength) {
    const size = r.int(min, max)
    out.push(data.subarray(at, at + size))
    at += size
  }
  return out
}

const chunkings = (data: Uint8Array, seed: number): Array<Array<Uint8Array>> => {
  const r = random(seed)
  return [
    [data],
    split(data, r, 1, 1),
    split(data, r, 1, 3),
    split(data, r, 1, 8),
    split(data, r, 2, 64),
    split(data, r, 1, 300)
  ]
}

/** The scanner's code for a body fed in these chunks. */
const scan = (chunks: ReadonlyArray<Uint8Array>) => {
  const scanner = envelopeScanner()
  let decided = false
  for (const chunk of chunks) {
    decided = scanner.push(chunk)
    if (decided) break
  }
  if (!decided) scanner.end()
  return scanner.code
}

/** What the current code does: the body read as text, parsed, and `bodyCode`. */
const reference = (data: Uint8Array): { parsed: true; code: number | undefined } | { parsed: false } => {
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder().decode(data))
  } catch {
    return { parsed: false }
  }
  return { parsed: true, code: bodyCode(json) }
}

/** A pull-based source (no reading ahead) that counts its pulls and records a cancel. */
const source = (chunks: ReadonlyArray<Uint8Array>, failAt?: { index: number; error: unknown }) => {
  const state = { pulls: 0, cancels: 0, reason: undefined as unknown }
  let i = 0
  const stream = new ReadableStream<Uint8Array>(
    {
      pull: (controller) => {
        state.pulls += 1
        if (failAt !== undefined && failAt.index === i) controller.error(failAt.error)
        else if (i < chunks.length) controller.enqueue(chunks[i++]!)
        else controller.close()
      },
      cancel: (reason) => {
        state.cancels += 1
        state.reason = reason
      }
    },
    { highWaterMark: 0 }
  )
  return { stream, state }
}

const readAll = async (stream: ReadableStream<Uint8Array>): Promise<Array<Uint8Array>> => {
  const out: Array<Uint8Array> = []
  const reader = stream.getReader()
  for (;;) {
    const next = await reader.read()
    if (next.done) return out
    out.push(next.value)
  }
}

/** The consumer got the source's own chunk objects, in order, none added or dropped. */
const expectSameChunks = (out: ReadonlyArray<Uint8Array>, chunks: ReadonlyArray<Uint8Array>) => {
  expect(out.length).toBe(chunks.length)
  for (const [i, chunk] of out.entries()) expect(chunk).toBe(chunks[i])
}

/** Fail fast instead of waiting for the test timeout when something waits for data that never comes. */
const within = <A>(promise: Promise<A>, millis = 2_000): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${millis} ms`)), millis)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

// ---------------------------------------------------------------------------------------------------------
// The table: the scanner agrees with bodyCode(JSON.parse(text)) whenever the text parses
// ---------------------------------------------------------------------------------------------------------

interface Case {
  readonly name: string
  readonly body: Uint8Array
  /** The verdict; checked against `bodyCode` when the body parses. */
  readonly expected: number | undefined
}

const c = (name: string, body: string | Uint8Array, expected: number | undefined): Case => ({
  name,
  body: typeof body === "string" ? bytes(body) : body,
  expected
})

const table: ReadonlyArray<Case> = [
  // v1.1
  c(
    "v1.1 code 498 as a string",
    '{"response":{"status":{"success":false,"code":"498","message":"Token expired"}}}',
    498
  ),
  c("v1.1 code 498 as a number", '{"response":{"status":{"success":false,"code":498,"message":"x"}}}', 498),
  c("v1.1 code 498.0", '{"response":{"status":{"code":498.0}}}', 498),
  c("v1.1 code 500.0", '{"response":{"status":{"code":500.0,"message":"error"}}}', 500),
  c(
    'v1.1 success "true" beside code "401"',
    '{"response":{"status":{"success":"true","code":"401","message":"Unauthorized"}}}',
    401
  ),
  c("v1.1 code 403 as a number", '{"response":{"status":{"success":false,"code":403}}}', 403),
  c("v1.1 code with surrounding spaces", '{"response":{"status":{"code":" 401 "}}}', 401),
  c(
    "v1.1 status before deep item status codes",
    '{"response":{"status":{"success":true,"code":200},"customers":{"customer":[{"item_status":{"success":false,"code":498}}]}}}',
    200
  ),
  c(
    "v1.1 status after deep item status codes",
    '{"response":{"customers":{"customer":[{"item_status":{"success":false,"code":498}}]},"status":{"success":true,"code":200}}}',
    200
  ),
  c(
    "item status codes without a status are not taken",
    '{"response":{"customers":{"customer":[{"item_status":{"code":498}}]}}}',
    undefined
  ),
  c(
    "a status without code wins over errorCode",
    '{"response":{"status":{"success":true}},"errorCode":498}',
    undefined
  ),
  c("a status that is not an object", '{"response":{"status":[498]},"errorCode":403}', 403),
  c("a response that is not an object", '{"response":"498","errorCode":401}', 401),
  c("a response that is an array", '{"response":[{"status":{"code":498}}]}', undefined),
  c("a boolean code", '{"response":{"status":{"code":true}},"errorCode":401}', undefined),
  c("an object code", '{"response":{"status":{"code":{"value":498}}},"errorCode":401}', undefined),
  c("an array code", '{"response":{"status":{"code":[498]}},"errorCode":401}', undefined),
  c("status code after errors", '{"errors":[{"code":498}],"response":{"status":{"code":"200"}}}', 200),
  // v2 / v3
  c(
    "v2 errors[0].code",
    '{"errors":[{"status":false,"code":8015,"message":"Invalid token"}],"warnings":[]}',
    8015
  ),
  c("v3 errors[0].code", '{"data":null,"errors":[{"code":498}]}', 498),
  c("data.errors is not taken", '{"data":{"errors":[{"code":498}]}}', undefined),
  c("errors[1] is not taken", '{"errors":[{"message":"first"},{"code":498}]}', undefined),
  c("errors[0] not an object", '{"errors":[498,{"code":498}]}', undefined),
  c("errors[0] an array", '{"errors":[[{"code":498}]]}', undefined),
  c("errors not an array", '{"errors":{"0":{"code":498}}}', undefined),
  c("errors[0] without code", '{"errors":[{"message":"x"}]}', undefined),
  c("errors[0].code nested deeper is not taken", '{"errors":[{"detail":{"code":498}}]}', undefined),
  c("a repeated errors: the last one counts", '{"errors":[{"code":498}],"errors":[]}', undefined),
  c("a repeated errors[0].code: the last one counts", '{"errors":[{"code":498,"code":"x"}]}', undefined),
  // access group
  c("access group errorCode", '{"errorCode":4000,"message":"user not in access group"}', 4000),
  c("errorCode before errors", '{"errorCode":4000,"errors":[{"code":498}]}', 4000),
  c("errorCode after errors", '{"errors":[{"code":498}],"errorCode":4000}', 4000),
  c("errorCode null still wins over errors", '{"errorCode":null,"errors":[{"code":498}]}', undefined),
  c("errorCode as an object", '{"errorCode":{"code":498},"errors":[{"code":498}]}', undefined),
  c("a repeated errorCode: the last one counts", '{"errorCode":401,"errorCode":498}', 498),
  // other codes
  c("a top-level code is not taken", '{"code":498,"status":{"code":498}}', undefined),
  c(
    "codes inside string values are not taken",
    String.raw`{"message":"{\"errorCode\":498,\"response\":{\"status\":{\"code\":498}}}","note":"\"code\":498"}`,
    undefined
  ),
  c("a key that only contains errorCode", '{"xerrorCode":498,"errorCodes":401,"ErrorCode":403}', undefined),
  // code values
  c("a string code with escaped whitespace", String.raw`{"response":{"status":{"code":"\u00a0498\n"}}}`, 498),
  c("a string code with raw Unicode spaces", '{"response":{"status":{"code":"\u00a0498\u3000\u2028"}}}', 498),
  c("a string code with a raw BOM character first", '{"errorCode":"\ufeff498"}', 498),
  c("a string code with a BOM character inside", '{"errorCode":"4\ufeff98"}', undefined),
  c("a string code with an escaped digit", String.raw`{"errorCode":"4\u00398"}`, 498),
  c("a string code in Arabic digits", '{"errorCode":"٤٩٨"}', undefined),
  c("a string code with leading zeros", '{"errorCode":"000498"}', 498),
  c("a string code with a sign", '{"errorCode":"-498"}', undefined),
  c("a string code with a decimal point", '{"errorCode":"498.0"}', undefined),
  c("a string code with inner space", '{"errorCode":"4 98"}', undefined),
  c("an empty string code", '{"errorCode":""}', undefined),
  c("a blank string code", '{"errorCode":"  "}', undefined),
  c("a very long digit string", `{"errorCode":"${"9".repeat(100)}"}`, Number("9".repeat(100))),
  c("a digit string too big for a number", `{"errorCode":"${"9".repeat(400)}"}`, undefined),
  c("a negative number", '{"errorCode":-498}', -498),
  c("negative zero", '{"errorCode":-0}', -0),
  c("zero", '{"errorCode":0.000}', 0),
  c("an exponent", '{"errorCode":4.98e2}', 498),
  c("an exponent E-", '{"errorCode":4980E-1}', 498),
  c("an exponent with leading zeros", '{"errorCode":4.98e+0000002}', 498),
  c("a fraction", '{"errorCode":498.5}', 498.5),
  c("an overflow", '{"errorCode":1e400}', undefined),
  c("an underflow", '{"errorCode":1e-400}', 0),
  c("a long fraction", `{"errorCode":498.${"0".repeat(200)}}`, 498),
  c("a long leading fraction", `{"errorCode":0.${"0".repeat(150)}498e153}`, 498),
  c("a long integer", `{"errorCode":${"1".repeat(80)}}`, Number("1".repeat(80))),
  // escapes and Unicode
  c("an escaped key", String.raw`{"err\u006frCode":498}`, 498),
  c(
    "escaped keys and code in v1.1",
    String.raw`{"res\u0070onse":{"st\u0061tus":{"c\u006Fde":"\u0034\u0039\u0038"}}}`,
    498
  ),
  c("an escaped quote in a key", String.raw`{"error\"Code":498}`, undefined),
  c("a backslash ending a key", String.raw`{"a\\":1,"errorCode":401}`, 401),
  c(
    "every escape in a value",
    String.raw`{"m":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00\"}","errorCode":403}`,
    403
  ),
  c("Unicode text", '{"message":"héllo ✓ 😀 日本","errorCode":498}', 498),
  c("a Unicode key", '{"érrorCode":498,"errorCode":401}', 401),
  c("invalid UTF-8 in a string", bytes('{"m":"', [0xff, 0xfe, 0x80], '","errorCode":498}'), 498),
  c("invalid UTF-8 in a key", bytes('{"errorCode', [0xff], '":498}'), undefined),
  c("a latin-1 byte in a string", bytes('{"m":"caf', [0xe9], '","errorCode":403}'), 403),
  c("a cut multi-byte sequence in a code", bytes('{"errorCode":"', [0xe2, 0x80], '498"}'), undefined),
  c("a multi-byte space in a code", bytes('{"errorCode":"', [0xe2, 0x80, 0xa8], '498"}'), 498),
  // structure
  c(
    "deep nesting elsewhere",
    '{"a":[[[[{"code":498,"errorCode":498}]]]],"b":{"c":{"d":{"errors":[{"code":1}]}}},"errorCode":401}',
    401
  ),
  c("whitespace everywhere", ' \n\t{ "errors" : [ { "code" : 498 } ] }\r\n ', 498),
  c("number forms", '{"x":-0.5e-3,"y":0,"z":1E+2,"w":[1,2.5,-0],"errorCode":401}', 401),
  c("literals", '{"t":true,"f":false,"n":null,"errorCode":403}', 403),
  c("an empty object", "{}", undefined),
  c("empty containers", '{"a":{},"b":[],"errors":[]}', undefined),
  c("a top-level array", '[{"errorCode":498}]', undefined),
  c("a top-level number", "498", undefined),
  c("a top-level string", '"498"', undefined),
  c("a top-level true", "true", undefined),
  c("a top-level null", "null", undefined),
  c("an empty body", "", undefined),
  c("a blank body", "  \n ", undefined),
  c("an HTML page", "<html><body>498</body></html>", undefined),
  // BOM
  c("a BOM-prefixed v1.1 body", bytes(BOM, '{"response":{"status":{"code":498}}}'), 498),
  c("a BOM then whitespace", bytes(BOM, ' \n{"errorCode":401}'), 401),
  c("whitespace then a BOM", bytes(" ", BOM, '{"errorCode":401}'), undefined),
  c("two BOMs", bytes(BOM, BOM, '{"errorCode":401}'), undefined),
  c("a cut BOM", bytes([0xef, 0xbb], '{"errorCode":401}'), undefined),
  c("a BOM alone", bytes(BOM), undefined),
  // invalid JSON
  c("a trailing comma", '{"errorCode":498,}', undefined),
  c("a missing comma", '{"errorCode":498 "x":1}', undefined),
  c("a missing colon", '{"errorCode" 498}', undefined),
  c("an unquoted key", "{errorCode:498}", undefined),
  c("single quotes", "{'errorCode':498}", undefined),
  c("a number key", '{1:2,"errorCode":498}', undefined),
  c("a leading zero", '{"x":01,"errorCode":498}', undefined),
  c("a bare dot", '{"x":1.,"errorCode":498}', undefined),
  c("a leading dot", '{"x":.5,"errorCode":498}', undefined),
  c("a lone minus", '{"x":-,"errorCode":498}', undefined),
  c("an empty exponent", '{"x":1e,"errorCode":498}', undefined),
  c("a plus sign", '{"x":+1,"errorCode":498}', undefined),
  c("NaN", '{"errorCode":NaN}', undefined),
  c("a cut literal", '{"x":tru,"errorCode":498}', undefined),
  c("a literal running on", '{"x":truex,"errorCode":498}', undefined),
  c("a capitalised literal", '{"x":Null,"errorCode":498}', undefined),
  c("an unknown escape", String.raw`{"x":"\x41","errorCode":498}`, undefined),
  c("a bad Unicode escape", String.raw`{"x":"\u12G4","errorCode":498}`, undefined),
  c("a raw control character", '{"x":"a\u0001b","errorCode":498}', undefined),
  c("a raw newline in a string", '{"x":"a\nb","errorCode":498}', undefined),
  c("mismatched brackets", '{"errors":[{"code":498}},"errorCode":401}', undefined),
  c("a stray closing bracket", '{"errorCode":498]', undefined),
  // decided before the end: the rest is not looked at
  c("ndjson: the first line decides", '{"errorCode":498}\n{"errorCode":401}\n', 498),
  c("garbage after the first value", '{"response":{"status":{"code":498}}} xyz', 498),
  c("invalid JSON after response.status.code", '{"response":{"status":{"code":498}},"x":}', 498),
  // cut short: what was seen decides
  c("cut after errorCode", '{"errorCode":498,"data":[1,2', 498),
  c("cut after errors[0].code", '{"errors":[{"code":401},', 401),
  c("cut inside the status object", '{"errorCode":498,"response":{"status":{"success":false', undefined),
  c("cut inside a string code", '{"response":{"status":{"code":"49', undefined),
  c("cut inside a number code", '{"errorCode":49', undefined)
]

describe("isJsonDocument: which bodies are looked into", () => {
  it.each([
    ["application/json", true],
    ["application/json; charset=utf-8", true],
    ["Application/JSON;charset=UTF-8", true],
    [" application/json ", true],
    ["text/json", true],
    ["application/problem+json", true],
    ["application/vnd.capillary.v2+json; q=1", true],
    ["application/x-ndjson", false],
    ["application/jsonl", false],
    ["application/json-seq", false],
    ["text/plain", false],
    ["text/html; charset=utf-8", false],
    ["", false],
    [null, false],
    [undefined, false]
  ])("%s: %s", (contentType, expected) => {
    expect(isJsonDocument(contentType)).toBe(expected)
  })
})

describe("envelopeScanner", () => {
  it.each(table)("$name", ({ body, expected }) => {
    const ref = reference(body)
    if (ref.parsed) expect(ref.code).toBe(expected)
    for (const [seed, chunks] of chunkings(body, body.byteLength).entries()) {
      expect([seed, scan(chunks)]).toEqual([seed, expected])
    }
    for (let seed = 1; seed <= 20; seed++) {
      expect(scan(split(body, random(seed), 1, 12))).toBe(expected)
    }
  })

  it("keeps the table honest: most bodies parse, and they cover every envelope", () => {
    const parsed = table.filter((t) => reference(t.body).parsed)
    expect(parsed.length).toBeGreaterThan(80)
    for (const code of [498, 401, 403, 4000, 8015]) {
      expect(parsed.some((t) => t.expected === code)).toBe(true)
    }
  })

  it("decides at response.status.code, at the end of the first value, at a non-object, at invalid JSON", () => {
    const decidesAt = (text: string) => {
      const scanner = envelopeScanner()
      const data = bytes(text)
      for (let i = 0; i < data.byteLength; i++) {
        if (scanner.push(data.subarray(i, i + 1))) return { at: i, code: scanner.code }
      }
      return undefined
    }
    const v11 = '{"response":{"status":{"code":"498"'
    expect(decidesAt(`${v11},"message":"x"}}}`)).toEqual({ at: v11.length - 1, code: 498 })
    const first = '{"errorCode":4000}'
    expect(decidesAt(`${first}\n{"a":1}`)).toEqual({ at: first.length - 1, code: 4000 })
    expect(decidesAt('  ["a"]')).toEqual({ at: 2, code: undefined })
    expect(decidesAt('{"errorCode":498,,')).toEqual({ at: 17, code: undefined })
    expect(decidesAt('{"errorCode":498,"data":[1,2')).toBeUndefined()
  })

  it("skims a data body without a key the code sits under, and still finds a code behind it, in any chunking", () => {
    // Strings holding brackets, numbers, nesting: nothing in `data` can end a key in `ode"` (the skim's cue).
    const entries = Array.from(
      { length: 300 },
      (_, i) => `{"id":${i},"name":"item }]{[ ${i}","tags":[[${i}]]}`
    )
    const data = `{"data":[${entries.join(",")}]`
    for (const [tail, want] of [
      [',"errors":[{"code":498}]}', 498],
      [',"errors":[{"\\u0063ode":401}]}', 401],
      [',"errorCode":403}', 403],
      [',"barcode":"x","errorCode":4000}', 4000],
      [',"errors":[{"kode":498}]}', undefined],
      ["}", undefined]
    ] as const) {
      const body = bytes(data + tail)
      expect(reference(body)).toEqual({ parsed: true, code: want })
      expect(scan([body])).toBe(want)
      for (let seed = 1; seed <= 10; seed++)
        expect([tail, scan(split(body, random(seed), 1, 5))]).toEqual([tail, want])
    }
  })

  /** Where a scanner fed `chunks` decided: the byte range of the deciding chunk, and the code; fails if it never did. */
  const decision = (chunks: ReadonlyArray<Uint8Array>) => {
    const scanner = envelopeScanner()
    let chunkEnd = 0
    for (const chunk of chunks) {
      chunkEnd += chunk.byteLength
      if (scanner.push(chunk))
        return { chunkStart: chunkEnd - chunk.byteLength, chunkEnd, code: scanner.code }
    }
    throw new Error(`undecided after ${chunkEnd} bytes`)
  }

  it("decides a skimmed body at the end of its first value, however its strings hold brackets", () => {
    const first = '{"a":"}]","b":[1,{"c":"{"}],"d":{}}'
    const data = bytes(`${first}\n{"errorCode":498}`)
    for (let seed = 1; seed <= 10; seed++) {
      const { chunkStart, chunkEnd, code } = decision(split(data, random(seed), 1, 4))
      // Decided by the chunk holding the first value's last byte, with no code.
      expect(chunkStart).toBeLessThan(first.length)
      expect(chunkEnd).toBeGreaterThanOrEqual(first.length)
      expect(code).toBeUndefined()
    }
  })

  it("decides a skimmed body where response.status ends without a code, as the tokenizer does", () => {
    const scanner = envelopeScanner()
    expect(scanner.push(bytes('{"response":{"status":{}},'))).toBe(true)
    expect(scanner.code).toBeUndefined()
    // The root key `response` may end in any chunk: still decided at the status, long before the 64 KiB limit.
    const head = '{"response":{"status":{"success":true,"message":"ok"}},'
    const body = bytes(`${head}"data":"${"x".repeat(70_000)}"}`)
    for (let seed = 1; seed <= 10; seed++) {
      const { chunkEnd, code } = decision(split(body, random(seed), 1, 6))
      expect(chunkEnd).toBeLessThan(head.length + 6)
      expect(code).toBeUndefined()
    }
  })

  it("ignores pushes after the verdict and end() after it", () => {
    const scanner = envelopeScanner()
    expect(scanner.push(bytes('{"response":{"status":{"code":401}'))).toBe(true)
    expect(scanner.push(bytes('garbage {"errorCode":498}'))).toBe(true)
    scanner.end()
    expect(scanner.code).toBe(401)
  })

  it("takes the first of repeated response objects (it decides at the first status; JSON.parse keeps the last)", () => {
    const body = bytes('{"response":{"status":{"code":498}},"response":{}}')
    expect(scan([body])).toBe(498)
    expect(reference(body)).toEqual({ parsed: true, code: undefined })
  })

  it("keeps O(depth) state: a deeply nested body inside the envelope neither throws nor blows the stack", () => {
    const depth = 200_000
    const body = bytes(`{"a":${"[".repeat(depth)}${"]".repeat(depth)},"errorCode":498}`)
    expect(scan([body])).toBe(498)
    expect(scan(split(body, random(7), 1, 5000))).toBe(498)
  })
})

// ---------------------------------------------------------------------------------------------------------
// peekBody
// ---------------------------------------------------------------------------------------------------------

describe("peekBody", () => {
  it("finds the same code as the scanner and hands on the same chunks, for every table body", async () => {
    for (const [n, { body, expected }] of table.entries()) {
      for (const chunks of chunkings(body, n).slice(0, 4)) {
        const { stream } = source(chunks)
        const peeked = await peekBody(stream)
        expect(peeked.code).toBe(expected)
        const out = await readAll(peeked.body)
        expectSameChunks(out, chunks)
      }
    }
  })

  it("does not see an envelope after the limit, and stops reading at the limit", async () => {
    const body = bytes(`{"pad":"${"x".repeat(70_000)}","errorCode":498}`)
    const chunks = split(body, random(1), 1024, 1024)
    const { stream, state } = source(chunks)
    const peeked = await peekBody(stream)
    expect(peeked.code).toBeUndefined()
    expect(state.pulls).toBe(peekLimitBytes / 1024)
    expect(concat(await readAll(peeked.body))).toEqual(body)
    expect(state.pulls).toBe(chunks.length + 1)

    // A chunk that straddles the limit is read whole, but only scanned up to the limit.
    const odd = split(body, random(1), 1000, 1000)
    const second = source(odd)
    expect((await peekBody(second.stream)).code).toBeUndefined()
    expect(second.state.pulls).toBe(Math.ceil(peekLimitBytes / 1000))
  })

  it("scans exactly `limit` bytes, whatever the chunking", async () => {
    const body = bytes('{"pad":"xx","errorCode":498,"more":"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"}')
    const seen = body.indexOf(0x2c, body.indexOf(0x34)) // the comma that ends 498
    for (const [seed, chunks] of chunkings(body, 3).entries()) {
      const before = await peekBody(source(chunks).stream, { limit: seen })
      expect([seed, before.code]).toEqual([seed, undefined])
      const after = await peekBody(source(chunks).stream, { limit: seen + 1 })
      expect([seed, after.code]).toEqual([seed, 498])
      expect(concat(await readAll(after.body))).toEqual(body)
    }
    const none = source([body])
    const zero = await peekBody(none.stream, { limit: 0 })
    expect(zero.code).toBeUndefined()
    expect(none.state.pulls).toBe(0)
    expect(concat(await readAll(zero.body))).toEqual(body)
  })

  it("decides after the first chunk of a 1 MB body that starts with response.status.code", async () => {
    const head = '{"response":{"status":{"success":false,"code":498,"message":"Token expired"},"data":"'
    const body = bytes(head, "z".repeat(1024 * 1024), '"}}')
    const chunks = split(body, random(2), 16 * 1024, 16 * 1024)
    const { stream, state } = source(chunks)
    const peeked = await peekBody(stream)
    expect(peeked.code).toBe(498)
    expect(state.pulls).toBe(1)
    // No reading ahead: the source is pulled only as the consumer reads.
    const reader = peeked.body.getReader()
    expect((await reader.read()).value).toBe(chunks[0])
    expect(state.pulls).toBe(1)
    expect((await reader.read()).value).toBe(chunks[1])
    expect(state.pulls).toBe(2)
    reader.releaseLock()
    const rest = await readAll(peeked.body)
    expect(concat([chunks[0]!, chunks[1]!, ...rest])).toEqual(body)
  })

  it("resolves on the first line of an ndjson stream while the server keeps the connection open", async () => {
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined
    const first = bytes('{"id":1,"name":"a"}\n')
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c
        c.enqueue(first)
      }
    })
    const peeked = await within(peekBody(stream))
    expect(peeked.code).toBeUndefined()
    const reader = peeked.body.getReader()
    expect(await within(reader.read())).toEqual({ done: false, value: first })
    const second = bytes('{"id":2,"name":"b"}\n')
    controller!.enqueue(second)
    expect(await within(reader.read())).toEqual({ done: false, value: second })
    controller!.close()
    expect(await within(reader.read())).toEqual({ done: true, value: undefined })
  })

  it("resolves at once when the first ndjson line carries the code", async () => {
    const first = bytes('{"errorCode":498}\n')
    const stream = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(first) })
    const peeked = await within(peekBody(stream))
    expect(peeked.code).toBe(498)
    await peeked.body.cancel()
  })

  it("hands on the bytes exactly: BOM, invalid UTF-8, latin-1, random binary, any chunking and limit", async () => {
    const r = random(42)
    const binary = Uint8Array.from({ length: 10_000 }, () => r.int(0, 255))
    const bodies = [
      bytes(BOM, '{"response":{"status":{"code":498}}}'),
      bytes(BOM),
      bytes([0xff, 0xfe, 0x80]),
      bytes('{"m":"', [0xff, 0xfe, 0x80], '","errorCode":401}'),
      bytes([0x63, 0x61, 0x66, 0xe9, 0x20, 0xfc, 0x62, 0x65, 0x72, 0xa0, 0xa9]),
      binary,
      bytes('{"errorCode":498,"blob":"', binary, '"}'),
      bytes("")
    ]
    for (const [n, body] of bodies.entries()) {
      for (const chunks of chunkings(body, n)) {
        for (const limit of [peekLimitBytes, 7, 1]) {
          const peeked = await peekBody(source(chunks).stream, { limit })
          const out = await readAll(peeked.body)
          expect(concat(out)).toEqual(body)
          expectSameChunks(out, chunks)
        }
      }
    }
  })

  it("propagates cancel to the source, before and after the peeked chunks are read", async () => {
    const chunks = [bytes('{"a":1}'), bytes("more"), bytes("rest")]
    const early = source(chunks)
    const peeked = await peekBody(early.stream)
    await peeked.body.cancel("not needed")
    expect(early.state).toMatchObject({ cancels: 1, reason: "not needed" })

    const late = source(chunks)
    const reader = (await peekBody(late.stream)).body.getReader()
    expect((await reader.read()).value).toBe(chunks[0])
    expect((await reader.read()).value).toBe(chunks[1])
    await reader.cancel("enough")
    expect(late.state).toMatchObject({ cancels: 1, reason: "enough" })
  })

  it("passes a source error after the decision to the consumer, through mapError", async () => {
    const failure = new Error("connection reset")
    const chunks = [bytes('{"errorCode":401}'), bytes("tail")]
    const { stream } = source(chunks, { index: 1, error: failure })
    const peeked = await peekBody(stream, { mapError: (e) => ({ mapped: e }) })
    expect(peeked.code).toBe(401)
    const reader = peeked.body.getReader()
    expect((await reader.read()).value).toBe(chunks[0])
    await expect(reader.read()).rejects.toEqual({ mapped: failure })

    const plain = await peekBody(source(chunks, { index: 1, error: failure }).stream)
    await expect(readAll(plain.body)).rejects.toBe(failure)
  })

  it("rejects when the source fails before the decision", async () => {
    const failure = new Error("connection reset")
    const chunks = [bytes('{"errorCode":'), bytes("401}")]
    await expect(
      peekBody(source(chunks, { index: 1, error: failure }).stream, { mapError: (e) => ({ mapped: e }) })
    ).rejects.toEqual({ mapped: failure })
    await expect(peekBody(source(chunks, { index: 0, error: failure }).stream)).rejects.toBe(failure)
  })

  it("keeps empty chunks and ends with the source", async () => {
    const chunks = [
      new Uint8Array(0),
      bytes('{"errorCode":'),
      new Uint8Array(0),
      bytes("403}"),
      new Uint8Array(0)
    ]
    const peeked = await peekBody(source(chunks).stream)
    expect(peeked.code).toBe(403)
    const out = await readAll(peeked.body)
    expectSameChunks(out, chunks)
  })
})

// ---------------------------------------------------------------------------------------------------------
// Fuzz
// ---------------------------------------------------------------------------------------------------------

/** Random JSON objects shaped like envelopes, with no repeated key in an object. */
const jsonish = (r: Random) => {
  const space = () => r.pick(["", "", "", " ", "\n", "\t", "\r\n  "])
  const strings = [
    "",
    "498",
    " 401 ",
    "403\\n",
    "\\u0034\\u0039\\u0038",
    "x",
    'a\\"b',
    "\\\\",
    "héllo ✓",
    "😀",
    "\\ud83d\\ude00",
    "\\u00a0498",
    "\u3000401",
    "4 98",
    "-498",
    "498.0",
    "0498",
    '{\\"errorCode\\":498}'
  ]
  const numbers = [
    "498",
    "498.0",
    "401",
    "403",
    "4.98e2",
    "-0",
    "0",
    "1e400",
    "-12.5E-3",
    "8015",
    "4000",
    "200"
  ]
  const keys: Record<string, ReadonlyArray<readonly [string, string]>> = {
    root: [
      ["response", "response"],
      ["res\\u0070onse", "response"],
      ["errorCode", "errorCode"],
      ["err\\u006frCode", "errorCode"],
      ["errors", "errors"],
      ["data", "data"],
      ["code", "code"],
      ["status", "status"],
      ["warnings", "warnings"],
      ["message", "message"]
    ],
    response: [
      ["status", "status"],
      ["st\\u0061tus", "status"],
      ["customers", "customers"],
      ["code", "code"]
    ],
    any: [
      ["code", "code"],
      ["c\\u006fde", "code"],
      ["success", "success"],
      ["message", "message"],
      ["status", "status"],
      ["errors", "errors"],
      ["item_status", "item_status"],
      ["k\\\\", "k\\"],
      ["é", "é"]
    ]
  }
  const scalar = () => {
    const kind = r.int(0, 5)
    if (kind === 0) return `"${r.pick(strings)}"`
    if (kind <= 2) return r.pick(numbers)
    return r.pick(["true", "false", "null", `"${r.pick(strings)}"`])
  }
  const value = (depth: number, shape: string): string => {
    const kind = depth > 4 ? 0 : r.int(0, 5)
    if (kind <= 2) return scalar()
    if (kind === 3) {
      const n = r.int(0, 3)
      const items = Array.from({ length: n }, () => value(depth + 1, "any"))
      return `[${space()}${items.join(`${space()},${space()}`)}${space()}]`
    }
    return object(depth + 1, shape)
  }
  const object = (depth: number, shape: string): string => {
    const pool = keys[shape] ?? keys.any!
    const used = new Set<string>()
    const members: Array<string> = []
    for (let n = r.int(0, 4); n > 0; n--) {
      const [raw, name] = r.pick(pool)
      if (used.has(name)) continue
      used.add(name)
      const nested = name === "response" ? "response" : name === "errors" && depth === 1 ? "errors" : "any"
      const v =
        nested === "errors" && r.next() < 0.7
          ? `[${object(depth + 1, "any")}${r.next() < 0.5 ? `,${object(depth + 1, "any")}` : ""}]`
          : value(depth, nested)
      members.push(`${space()}"${raw}"${space()}:${space()}${v}`)
    }
    return `{${members.join(",")}${space()}}`
  }
  return () => `${space()}${object(1, "root")}${space()}`
}

describe("fuzz", () => {
  it("agrees with bodyCode on thousands of random envelope-like JSON objects, in any chunking", () => {
    const r = random(2024)
    const generate = jsonish(r)
    const found = new Set<number | undefined>()
    for (let n = 0; n < 3000; n++) {
      const text = generate()
      const body = n % 7 === 0 ? bytes(BOM, text) : bytes(text)
      const ref = reference(body)
      expect(ref.parsed).toBe(true)
      const want = ref.parsed ? ref.code : undefined
      found.add(want)
      expect(scan([body])).toBe(want)
      expect(scan(split(body, r, 1, 1))).toBe(want)
      expect(scan(split(body, r, 1, 16))).toBe(want)
    }
    // The generator reaches every kind of verdict.
    for (const code of [undefined, 498, 401, 403, 4000, 8015]) expect(found.has(code)).toBe(true)
  })

  it("never throws on random bytes or mangled JSON, and decides the same in any chunking", () => {
    const r = random(7)
    const generate = jsonish(r)
    const alphabet = [
      ...bytes('{}[]":,0123456789-+.eEtrufalsn \\u\n\tabcdef', BOM, [0xff, 0x80, 0xc3, 0xa9, 0x00, 0x1f])
    ]
    let mangledParsed = 0
    for (let n = 0; n < 4000; n++) {
      let body: Uint8Array
      const kind = n % 4
      if (kind === 0) body = Uint8Array.from({ length: r.int(0, 300) }, () => r.int(0, 255))
      else if (kind === 1) body = Uint8Array.from({ length: r.int(0, 300) }, () => r.pick(alphabet))
      else {
        body = bytes(generate())
        if (kind === 2)
          body = body.subarray(0, r.int(0, body.byteLength)) // cut short
        else {
          body = Uint8Array.from(body)
          for (let k = r.int(1, 3); k > 0 && body.byteLength > 0; k--) {
            body[r.int(0, body.byteLength - 1)] = r.pick(alphabet)
          }
        }
      }
      const whole = scan([body])
      expect(whole === undefined || typeof whole === "number").toBe(true)
      expect(scan(split(body, r, 1, 1))).toBe(whole)
      expect(scan(split(body, r, 1, 9))).toBe(whole)
      const ref = reference(body)
      // Where the mangled text still parses, the agreement holds (this seed makes no repeated envelope key).
      if (ref.parsed) {
        expect(whole).toBe(ref.code)
        if (kind === 3) mangledParsed += 1
      }
    }
    expect(mangledParsed).toBeGreaterThan(50)
  })

  it("peekBody always resolves and hands on the bytes, for random bodies, chunkings and limits", async () => {
    const r = random(99)
    const generate = jsonish(r)
    for (let n = 0; n < 1500; n++) {
      const body =
        n % 2 === 0 ? Uint8Array.from({ length: r.int(0, 200) }, () => r.int(0, 255)) : bytes(generate())
      const chunks = split(body, r, 1, r.int(1, 40))
      const limit = r.pick([peekLimitBytes, r.int(0, 64)])
      const peeked = await peekBody(source(chunks).stream, { limit })
      expect(peeked.code === undefined || typeof peeked.code === "number").toBe(true)
      expect(concat(await readAll(peeked.body))).toEqual(body)
      if (limit >= body.byteLength) expect(peeked.code).toBe(scan([body]))
    }
  })
})
