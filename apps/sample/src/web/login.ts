/**
 * The login page: end-customer auth in the browser with `createCustomerAuth` of `@capauth/browser` (web
 * platform). The customer types a mobile number, gets an OTP (in the sample, read back from the simulator: the
 * stand-in for the SMS), types it, and the page reads the customer's profile through the gateway. "Expire and
 * fetch again" expires the tokens in the simulator: the next call renews the token behind the scenes.
 *
 * The OTP, the token and any key stay in this page's memory: nothing is logged, nothing is stored.
 */
import { type CustomerAuthClient, type CustomerPromiseSession, createCustomerAuth } from "@capauth/browser"

interface Settings {
  readonly baseUrl: string
  readonly gatewayUrl: string
  readonly brand: string
  readonly mobile: string
  readonly simulator: boolean
}

interface Profile {
  readonly customer?: {
    readonly firstname?: string
    readonly lastname?: string
    readonly mobile?: string
    readonly email?: string
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const setState = (state: string) => {
  document.body.dataset.state = state
}
const show = (id: string, text: string, tone: "ok" | "bad" | "muted" = "ok") => {
  const el = $(id)
  el.textContent = text
  el.className = tone
}

const getJson = async <T>(path: string, init?: RequestInit): Promise<T> => {
  const response = await fetch(path, init)
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`)
  return (await response.json()) as T
}

/** An error as the page shows it: its tag and message (capauth errors carry no secret). */
const describe = (e: unknown) =>
  e instanceof Error ? `${(e as { _tag?: string })._tag ?? e.name}: ${e.message}` : String(e)

const main = async () => {
  const settings = await getJson<Settings>("/login/settings")
  show("auth-engine", settings.baseUrl, "muted")
  show("gateway", settings.gatewayUrl, "muted")
  show("brand", settings.brand, "muted")
  $<HTMLInputElement>("mobile").placeholder = settings.mobile
  $("read-otp").hidden = !settings.simulator
  $("renew-card").hidden = !settings.simulator

  const auth: CustomerAuthClient = createCustomerAuth({
    baseUrl: settings.baseUrl,
    gatewayUrl: settings.gatewayUrl,
    brand: settings.brand,
    platform: "web"
  })
  let login: Awaited<ReturnType<CustomerAuthClient["startOtp"]>> | undefined
  let session: CustomerPromiseSession | undefined

  const profile = async (target: string) => {
    if (session === undefined) return
    const response = await session.fetch("/v1/customer/profile")
    const body = (await response.json()) as Profile
    const c = body.customer
    show(
      target,
      response.ok && c !== undefined
        ? `${c.firstname ?? ""} ${c.lastname ?? ""} · ${c.mobile ?? ""} · ${c.email ?? ""}`.trim()
        : `HTTP ${response.status}`,
      response.ok ? "ok" : "bad"
    )
  }

  const guard = (button: string, run: () => Promise<void>) => {
    const el = $<HTMLButtonElement>(button)
    el.addEventListener("click", async () => {
      el.disabled = true
      try {
        await run()
      } catch (e) {
        show("error", describe(e), "bad")
        setState("failed")
      } finally {
        el.disabled = false
      }
    })
  }

  guard("send-otp", async () => {
    const mobile = $<HTMLInputElement>("mobile").value.trim()
    login = await auth.startOtp({ identifierType: "MOBILE", identifierValue: mobile })
    show("otp-status", `OTP sent to ${mobile}`)
    $<HTMLButtonElement>("verify").disabled = false
    $<HTMLButtonElement>("read-otp").disabled = false
    setState("otp-sent")
  })

  guard("read-otp", async () => {
    if (login === undefined) return
    const { otp } = await getJson<{ otp: string }>(
      `/login/otp?sessionId=${encodeURIComponent(login.sessionId)}`
    )
    $<HTMLInputElement>("otp").value = otp
    show("otp-status", "OTP read from the simulator (it stands in for the SMS)")
    setState("otp-read")
  })

  guard("verify", async () => {
    if (login === undefined) return
    session = await login.verify($<HTMLInputElement>("otp").value.trim())
    $<HTMLInputElement>("otp").value = ""
    show("login-status", "signed in")
    await profile("profile")
    $<HTMLButtonElement>("renew").disabled = false
    setState("signed-in")
  })

  guard("renew", async () => {
    await getJson("/login/expire-tokens", { method: "POST" })
    show("renew-status", "tokens expired in the simulator; fetching the profile again", "muted")
    await profile("profile-again")
    const stats = await getJson<{ tokensRegenerated: number }>("/login/stats")
    show("regenerations", String(stats.tokensRegenerated))
    show("renew-status", "the token was renewed behind the scenes")
    setState("renewed")
  })

  setState("ready")
}

main().catch((e: unknown) => {
  show("error", describe(e), "bad")
  setState("failed")
})
