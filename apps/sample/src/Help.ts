/** Help texts, kept apart from the commands so `--help` loads nothing heavy. */
import { program } from "./Io.ts"

export const main = `${program}: the capauth sample app and team CLI

Usage: ${program} [command] [options]

Commands:
  demo                     (default) guided demo on an embedded simulator: token, burst, 498 recovery,
                           Basic auth, summary. Needs no credentials.
  token                    obtain a token; show its expiry and claims (the value only with --reveal)
  call METHOD PATH         one authenticated request, like curl (--data JSON for a body)
  capture                  guided run of the Capture client: client auth modes, code exchange, session,
                           refresh and rotation, creation token (embedded simulator, or CAPTURE_*)
  web                      serve the browser demo (and its Capture page) and print its URL
  rotate                   credential rotation without downtime: two API clients in order, the old one deleted
                           mid-run, the switch to the new one (embedded simulator)
  fleet                    several processes on one Redis (@capauth/redis): the token requests the whole fleet
                           makes (one), against an embedded simulator
  help [command]           show help (same as --help)

Target of token, call and web: the cluster named by the CAPILLARY_* variables (CAPILLARY_CLUSTER or
CAPILLARY_BASE_URL, CAPILLARY_CLIENT_KEY and CAPILLARY_CLIENT_SECRET, or CAPILLARY_TILL_ID with
CAPILLARY_TILL_PASSWORD); when none is set, an embedded simulator (a note on stderr says so).

Target of capture (and of web's Capture page): the Capture app named by CAPTURE_BASE_URL, CAPTURE_CLIENT_ID,
CAPTURE_CLIENT_SECRET and CAPTURE_CLIENT_AUTH; when none is set, the embedded simulator's Capture.

Exit codes: 0 success · 1 runtime failure (refused credentials, network, HTTP error) · 2 usage or config error

Run "${program} <command> --help" for a command's options.
`

export const demo = `Usage: capauth-sample [demo] [--burst N] [--wave N]

A guided tour of capauth on an embedded Capillary simulator (no credentials needed, nothing leaves 127.0.0.1):
  1. obtain a token with createCapillaryClient() and show its claims and remaining lifetime
  2. fire a burst of concurrent POST /v1.1/customer/add calls: one token request serves them all
  3. the server expires the token mid-run: the calls that get 498 are renewed and replayed transparently;
     then it revokes the token: the 401 is recovered the same way
  4. a Basic-auth call with a till's credentials
  5. a summary table (token requests, API calls, 498s recovered, Basic call status, elapsed)

Options:
  --burst N     concurrent calls in step 2 (default 50, max 1000)
  --wave N      concurrent calls that meet the expired token in step 3 (default 10, max 1000)
  -h, --help    show this help

Colours only on a terminal, and never when NO_COLOR is set.
`

export const token = `Usage: capauth-sample token [--reveal] [--json] [--simulator]

Obtain an OAuth token and show when it expires and its claims. The token value stays hidden unless you
pass --reveal.

Options:
  --reveal      also print the token value (it is a credential: keep it out of logs and tickets)
  --json        print one JSON object instead of text
  --simulator   use the embedded simulator even if CAPILLARY_* variables are set
  -h, --help    show this help

Target: the cluster named by CAPILLARY_CLUSTER or CAPILLARY_BASE_URL with CAPILLARY_CLIENT_KEY and
CAPILLARY_CLIENT_SECRET; with no CAPILLARY_* variable set, an embedded simulator (a note on stderr says so).
`

export const call = `Usage: capauth-sample call METHOD PATH [--data JSON] [-H "Name: value"]... [--json] [--simulator]

Send one authenticated request, like curl: capauth adds the token (obtained, cached and renewed for you) and
the attribution headers. The response body goes to stdout (JSON pretty-printed); the status line to stderr.

Arguments:
  METHOD        GET, POST, PUT, PATCH, DELETE or HEAD
  PATH          a path on the API host, starting with /, e.g. "/v1.1/customer/get?format=json&mobile=919876543210"

Options:
  -d, --data JSON        request body (sent as application/json); must be valid JSON
  -H, --header "N: v"    an extra request header (repeatable); capauth's auth headers cannot be overridden
  --json                 print {"status", "requestId", "body"} as one JSON object
  --simulator            use the embedded simulator even if CAPILLARY_* variables are set
  -h, --help             show this help

Exit code 1 when the response status is 400 or more (the body is still printed).

Examples:
  capauth-sample call GET "/v1.1/customer/get?format=json&mobile=919876543210"
  capauth-sample call POST "/v1.1/customer/add?format=json" --data '{"root":{"customer":[{"mobile":"919000000001"}]}}'
`

export const capture = `Usage: capauth-sample capture [--wave N] [--uuid UUID] [--type-name T] [--create] [--reveal] [--simulator]

A guided run of createCaptureClient() (Capture: Janrain / Akamai Identity Cloud):
  1. entity.count with each client authentication: basic, params, signed (the signed text's first line, and
     that the secret was not sent, from the simulator's request log)
  2. an authorization code exchanged for a user session (oauth/token grant_type=authorization_code)
  3. session.call("entity"): the user's record, with the access token
  4. the server expires the access token: one refresh, the refresh token rotates (the old one is refused)
  5. --wave concurrent calls on an expired session: one refresh serves them all
  6. a creation token, used once for entity.create (a second use is refused)
  7. the simulator's request counts

Options:
  --wave N        concurrent calls in step 5 (default 200, max 1000)
  --uuid UUID     the user whose session steps 2-5 open (default: the simulator's sample user; required on a
                  real Capture app, else those steps are skipped)
  --type-name T   the entity type (default user)
  --create        allow entity.create on a real Capture app (it creates a record there)
  --reveal        also print the code and tokens (credentials: keep them out of logs); never the secret
  --simulator     use the embedded simulator even if CAPTURE_* variables are set
  -h, --help      show this help

Target: the Capture app named by CAPTURE_BASE_URL, CAPTURE_CLIENT_ID, CAPTURE_CLIENT_SECRET (and
CAPTURE_CLIENT_AUTH: basic, params or signed); with none set, the embedded simulator. Steps 4 and 5 need the
simulator (they expire tokens on the server).
`

export const web = `Usage: capauth-sample web [--port N] [--capture-uuid UUID] [--simulator]

Serve the browser demo: a page whose (Shared)Worker gets tokens from a broker in this process, so the secret
never reaches the browser; and a Capture page (/capture.html): a creation token minted here and used by the
browser for entity.create, and a Capture session kept on this server behind an HttpOnly cookie. Prints the
URL, then serves until Ctrl-C.

Options:
  --port N              port to listen on (default: a free one)
  --capture-uuid UUID   the user the Capture page's "Sign in" opens a session for (default: the simulator's
                        sample user; needed with a real Capture app)
  --simulator           use the embedded simulator even if CAPILLARY_* or CAPTURE_* variables are set
  -h, --help            show this help

Target: the CAPILLARY_* cluster and the CAPTURE_* app when set; otherwise an embedded simulator.
`

export const rotate = `Usage: capauth-sample rotate [--wave N]

A credential rotation without downtime, on an embedded simulator: the client is created with
credentials: [old client, new client]. Calls run in waves; between waves the org admin deletes the old client.
The next wave meets the old token's 401 and the old client's refused token request, and capauth switches to the
new client at once (one CredentialSwitched event; no call fails). Outside the sample: pass the list in code, or
set CAPILLARY_CLIENT_KEY_2 / CAPILLARY_CLIENT_SECRET_2 next to CAPILLARY_CLIENT_KEY / CAPILLARY_CLIENT_SECRET.

Options:
  --wave N      concurrent calls per wave (default 20, max 1000)
  -h, --help    show this help

Exit code 1 if a call failed or the switch was not seen exactly once.
`

export const fleet = `Usage: capauth-sample fleet [--processes N] [--callers N]

Several processes of one service sharing a token through Redis (@capauth/redis), against an embedded simulator:
each process is this CLI again, with createCapillaryClient({ tokenStore: redisTokenStore({ url }) }) and N
concurrent calls. It prints each process's calls and whether it fetched the token or read it from Redis, and the
token requests the simulator saw for the whole fleet (1: one process takes the lease and fetches, the others
read the stored token).

Redis: CAPAUTH_REDIS_URL when set (keys under a prefix of this run), else a redis-server started on 127.0.0.1
(a free port, no persistence) and stopped after; it must be installed (apt-get install redis-server).

Options:
  --processes N   processes (default 4, max 32)
  --callers N     concurrent calls per process (default 100, max 1000)
  -h, --help      show this help

Exit code 1 if a call failed.
`
