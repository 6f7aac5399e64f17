/**
 * The Capture page: get a creation token from this site's server, call Capture's `entity.create` with it
 * directly, show that a second use is refused, show the signed-in user's profile (the session stays on the
 * server), then count the secrets in everything this page holds.
 */

interface Source {
  readonly name: string
  readonly text: string
}

interface CaptureAnswer {
  readonly stat?: string
  readonly code?: number
  readonly error?: string
  readonly uuid?: string
  readonly id?: number
}

// Record every response and message this page receives, before anything is fetched.
const received: Source[] = []
const pageFetch = window.fetch.bind(window)
window.fetch = async (input, init) => {
  const response = await pageFetch(input, init)
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url
  const lines: string[] = []
  response.headers.forEach((value, name) => void lines.push(`${name}: ${value}`))
  const headers = lines.join("\n")
  received.push({
    name: `response to ${init?.method ?? "GET"} ${url}`,
    text: `${headers}\n\n${await response.clone().text()}`
  })
  return response
}
window.addEventListener("message", (event) =>
  received.push({
    name: `message from ${event.origin}`,
    text: typeof event.data === "string" ? event.data : JSON.stringify(event.data)
  })
)

const $ = (id: string) => document.getElementById(id) as HTMLElement
const show = (id: string, text: string, cls?: "ok" | "bad" | "muted") => {
  const el = $(id)
  el.textContent = text
  el.className = cls ?? ""
}
const json = async <A>(response: Response): Promise<A> => {
  if (!response.ok && !response.headers.get("content-type")?.includes("json")) {
    throw new Error(`HTTP ${response.status}`)
  }
  return (await response.json()) as A
}
const post = (path: string, body?: unknown) =>
  fetch(path, {
    method: "POST",
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  })

const settings = await json<{ captureUrl?: string; typeName?: string; signIn?: boolean; error?: string }>(
  await fetch("/capture/settings")
)
const typeName = settings.typeName ?? "user"
const captureUrl = settings.captureUrl ?? ""
show("capture-url", settings.error ?? captureUrl, settings.error === undefined ? undefined : "bad")

/** `entity.create` as Capture documents it for browsers: the creation token instead of client credentials. */
const entityCreate = async (token: string): Promise<CaptureAnswer> => {
  const stamp = Date.now().toString(36)
  const response = await fetch(`${captureUrl}/entity.create`, {
    method: "POST",
    // A form post with no custom header: a "simple" cross-origin request, no preflight.
    body: new URLSearchParams({
      creation_token: token,
      type_name: typeName,
      attributes: JSON.stringify({
        email: `web-${stamp}@example.com`,
        givenName: "Web",
        familyName: "Visitor"
      })
    })
  })
  return json<CaptureAnswer>(response)
}

const createOnce = async (): Promise<boolean> => {
  show("create-result", "…")
  show("second-use", "…")
  const minted = await json<{ creationToken?: string; expiresAt?: string; error?: string }>(
    await post("/capture/creation-token")
  )
  if (minted.creationToken === undefined) {
    show("creation-token", `refused by the server: ${minted.error ?? "?"}`, "bad")
    return false
  }
  const token = minted.creationToken
  show(
    "creation-token",
    `from POST /capture/creation-token · ${token.length} chars, starts ${token.slice(0, 4)}… · single use, expires ${new Date(minted.expiresAt ?? "").toLocaleTimeString()}`
  )
  const first = await entityCreate(token)
  const created = first.stat === "ok"
  show(
    "create-result",
    created
      ? `✓ created uuid ${first.uuid} · id ${first.id} (POST ${captureUrl}/entity.create from this page)`
      : `✗ ${first.code} ${first.error}`,
    created ? "ok" : "bad"
  )
  const second = await entityCreate(token)
  const refused = second.stat === "error" && second.code === 417
  show(
    "second-use",
    refused
      ? `✓ refused: ${second.code} ${second.error} (a creation token works once)`
      : `✗ expected a refusal, got ${second.stat} ${second.code ?? ""}`,
    refused ? "ok" : "bad"
  )
  return created && refused
}

const profile = async (): Promise<boolean> => {
  const answer = await json<{
    signedIn?: boolean
    profile?: { uuid?: string; email?: string; givenName?: string; familyName?: string }
    accessTokenExpiresAt?: string
    error?: string
  }>(await fetch("/capture/profile"))
  $("sign-in").hidden = answer.signedIn === true || settings.signIn !== true
  $("sign-out").hidden = answer.signedIn !== true
  show("cookie", document.cookie === "" ? '"" (the session cookie is HttpOnly)' : document.cookie)
  if (answer.error !== undefined) {
    show("session", `✗ ${answer.error}`, "bad")
    show("profile", "–", "muted")
    return false
  }
  if (answer.signedIn !== true) {
    show(
      "session",
      settings.signIn === true ? "not signed in" : "no user configured (--capture-uuid)",
      "muted"
    )
    show("profile", "–", "muted")
    return true
  }
  const p = answer.profile ?? {}
  show(
    "session",
    `✓ on the server (access token expires ${new Date(answer.accessTokenExpiresAt ?? "").toLocaleTimeString()})`,
    "ok"
  )
  show("profile", `${p.givenName ?? ""} ${p.familyName ?? ""} · ${p.email ?? ""} · uuid ${p.uuid ?? ""}`)
  return true
}

const dump = (storage: Storage) =>
  JSON.stringify(
    Array.from({ length: storage.length }, (_, i) => storage.key(i)).map((k) => [k, storage.getItem(k ?? "")])
  )

/** Everything this page holds or was sent. */
const gather = async (): Promise<Source[]> => {
  const sources: Source[] = [
    { name: "document", text: document.documentElement.outerHTML },
    { name: "document.cookie", text: document.cookie },
    { name: "localStorage", text: dump(localStorage) },
    { name: "sessionStorage", text: dump(sessionStorage) },
    { name: "location and history", text: `${location.href}\n${JSON.stringify(history.state)}` },
    { name: "IndexedDB databases", text: JSON.stringify(await indexedDB.databases()) },
    ...received
  ]
  // What the browser loaded for this page (its HTML, its script): read again, unrecorded.
  const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
  for (const entry of entries as PerformanceResourceTiming[]) {
    const url = new URL(entry.name)
    if (url.origin !== location.origin || entry.initiatorType === "fetch") continue
    sources.push({ name: `loaded ${url.pathname}`, text: await (await pageFetch(url)).text() })
  }
  return sources
}

const audit = async (): Promise<boolean> => {
  const sources = await gather()
  const answer = await json<{
    sources: number
    chars: number
    results: ReadonlyArray<{ name: string; hits: number; where: ReadonlyArray<string> }>
  }>(await post("/capture/audit", { sources }))
  const list = $("hits")
  list.replaceChildren()
  for (const result of answer.results) {
    const dt = document.createElement("dt")
    dt.textContent = result.name
    const dd = document.createElement("dd")
    dd.dataset.hits = String(result.hits)
    dd.className = result.hits === 0 ? "ok" : "bad"
    dd.textContent = result.hits === 0 ? "✓ 0 hits" : `✗ ${result.hits} hits in ${result.where.join(", ")}`
    list.append(dt, dd)
  }
  const responses = sources.filter((s) => s.name.startsWith("response")).length
  const messages = sources.filter((s) => s.name.startsWith("message")).length
  $("searched").textContent =
    `Searched ${answer.sources} sources, ${answer.chars.toLocaleString()} characters: the document, document.cookie, ` +
    `localStorage, sessionStorage, location, IndexedDB, this page's HTML and script, ${responses} responses and ` +
    `${messages} messages. The page posts them to its server, which knows the secrets and answers only the counts.`
  return answer.results.every((r) => r.hits === 0)
}

const run = async () => {
  document.body.dataset.state = "running"
  const button = $("again") as HTMLButtonElement
  button.disabled = true
  try {
    const created = await createOnce()
    const signedIn = await profile()
    const clean = await audit()
    document.body.dataset.state = created && signedIn && clean ? "done" : "failed"
  } catch (error) {
    show("create-result", `✗ ${(error as Error).message}`, "bad")
    document.body.dataset.state = "failed"
  } finally {
    button.disabled = false
  }
}

$("again").onclick = () => void run()
$("sign-out").onclick = async () => {
  await post("/capture/logout")
  await run()
}
await run()
