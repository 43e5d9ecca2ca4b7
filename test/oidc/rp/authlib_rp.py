"""A relying party written with Authlib (Debian's python3-authlib), against a wxhub issuer.

Authlib shares no code and no author with oidc-provider, so what it accepts is evidence that the
hub speaks the standards rather than one library's dialect. Everything protocol-shaped goes
through Authlib's own code, wired the way its Flask and Django integrations wire it (an
OAuth2Mixin + OpenIDMixin app over a requests OAuth2Session): discovery, the authorization URL
with state, nonce and PKCE S256, the callback's state check, client authentication, the code
exchange, the ID token's signature against the JWKS and its claims (iss, aud, exp, iat, nonce,
at_hash, azp, auth_time), userinfo, refresh and revocation. This script only plays the person
in WeChat's browser (MicroMessenger User-Agent, the simulator's consent answered by X-Sim-User)
and reports what happened as JSON; the test (authlib-rp.test.ts) judges it.

    python3 authlib_rp.py SCENARIO < input.json > report.json

Scenarios: discovery, login. Input fields: see main().
"""

import json
import sys
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import requests
from authlib.common.encoding import urlsafe_b64decode
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import (
    BaseApp,
    FrameworkIntegration,
    OAuth2Mixin,
    OAuthError,
    OpenIDMixin,
)
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.discovery import OpenIDProviderMetadata, get_well_known_url

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 "
    "MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN"
)
TIMEOUT = 10


class Integration(FrameworkIntegration):
    """Authlib's framework hook: this script keeps no token store."""

    def update_token(self, token, refresh_token=None, access_token=None):
        pass


class WxhubApp(OAuth2Mixin, OpenIDMixin, BaseApp):
    """An Authlib client app, as authlib.integrations.flask_client builds one, minus Flask."""

    client_cls = OAuth2Session

    def __init__(self, issuer, client, session):
        self.session = session
        kwargs = {
            "code_challenge_method": "S256" if client.get("pkce", True) else None,
            "token_endpoint_auth_method": client["auth_method"],
            "revocation_endpoint_auth_method": client["auth_method"],
            "default_timeout": TIMEOUT,
        }
        super().__init__(
            Integration("wxhub"),
            name="wxhub",
            client_id=client["id"],
            client_secret=client.get("secret"),
            server_metadata_url=get_well_known_url(issuer, external=True),
            client_kwargs=kwargs,
        )

    def authorize_redirect(self, redirect_uri, **kwargs):
        """Flask's authorize_redirect: the URL, with state data kept in the session."""
        rv = self.create_authorization_url(redirect_uri, **kwargs)
        data = {"redirect_uri": redirect_uri, **{k: rv[k] for k in ("code_verifier", "nonce") if k in rv}}
        self.framework.set_state_data(self.session, rv["state"], data)
        return rv

    def authorize_access_token(self, callback, claims_options=None):
        """Flask's authorize_access_token, reading the callback URL instead of flask.request."""
        args = dict(parse_qsl(urlsplit(callback).query))
        if args.get("error"):
            raise OAuthError(error=args["error"], description=args.get("error_description"))
        params = {"code": args["code"], "state": args.get("state")}
        state_data = self.framework.get_state_data(self.session, params.get("state"))
        self.framework.clear_state_data(self.session, params.get("state"))
        params = self._format_state_params(state_data, params)
        token = self.fetch_access_token(**params)
        if "id_token" in token and "nonce" in state_data:
            token["userinfo"] = self.parse_id_token(
                token, nonce=state_data["nonce"], claims_options=claims_options
            )
        return token

    def oauth_client(self):
        return self._get_oauth_client(**self.load_server_metadata())


class Forms(HTMLParser):
    """The forms of a page: action, method and named fields (what a browser would submit)."""

    def __init__(self):
        super().__init__()
        self.forms = {}
        self.current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms[a.get("id", "")] = {"action": a.get("action"), "method": a.get("method", "get"), "fields": {}}
            self.current = a.get("id", "")
        elif tag == "input" and self.current is not None and a.get("name") and a.get("type") == "hidden":
            self.forms[self.current]["fields"][a["name"]] = a.get("value", "")


class Browser:
    """WeChat's browser: follows redirects one hop at a time, keeps cookies, stops at the RP."""

    def __init__(self, sim_url, openid, stop_prefixes):
        self.http = requests.Session()
        self.http.headers["User-Agent"] = WECHAT_UA
        self.sim = sim_url.rstrip("/")
        self.openid = openid
        self.stop_prefixes = stop_prefixes
        self.hops = []

    def walk(self, url, method="GET", data=None):
        """Follows 3xx hops; returns (final_url, response_or_None when stopped at the RP)."""
        for _ in range(20):
            url = url.split("#", 1)[0]
            self.hops.append(url)
            if url.startswith(tuple(self.stop_prefixes)):
                return url, None
            headers = {}
            if url.startswith(self.sim + "/") and self.openid:
                # The simulator's consent page answered as this user, at once.
                headers["X-Sim-User"] = self.openid
            res = self.http.request(
                method, url, data=data, headers=headers, allow_redirects=False, timeout=TIMEOUT
            )
            location = res.headers.get("Location")
            if not (300 <= res.status_code < 400 and location):
                return url, res
            url, method, data = urljoin(url, location), "GET", None
        raise RuntimeError("too many redirects: " + " -> ".join(self.hops))

    def submit(self, page_url, html, form_id, button):
        """Submits a form as a click on its button `button` (name, value) would."""
        parser = Forms()
        parser.feed(html)
        form = parser.forms[form_id]
        data = dict(form["fields"])
        data[button[0]] = button[1]
        action = urljoin(page_url, form["action"] or page_url)
        return self.walk(action, method=form["method"].upper(), data=data)


def failure(err):
    """An Authlib or HTTP failure as the report names it: the OAuth error code when there is one."""
    return {"error": getattr(err, "error", None) or type(err).__name__, "description": str(err)}


def id_token_claims_options(issuer, client_id, extra=None):
    """What a careful RP insists on beyond Authlib's defaults: iss and aud present and exact."""
    options = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "sub": {"essential": True},
    }
    options.update(extra or {})
    return options


def scenario_discovery(inp):
    issuer = inp["issuer"]
    url = get_well_known_url(issuer, external=True)
    res = requests.get(url, timeout=TIMEOUT)
    res.raise_for_status()
    metadata = OpenIDProviderMetadata(res.json())
    # Authlib's own RFC 8414 / OpenID Connect Discovery 1.0 checks (required fields, value types,
    # response types, subject types, RS256 among the ID token algorithms).
    metadata.validate()
    jwks = requests.get(metadata["jwks_uri"], timeout=TIMEOUT).json()
    return {
        "fetched_from": url,
        "content_type": res.headers.get("Content-Type"),
        "metadata": dict(metadata),
        "jwks": [{k: v for k, v in key.items() if k in ("kty", "alg", "use", "kid")} for key in jwks["keys"]],
        "private_parts": sorted({p for key in jwks["keys"] for p in ("d", "p", "q", "dp", "dq", "qi") if p in key}),
    }


def scenario_login(inp):
    issuer, client = inp["issuer"], inp["client"]
    redirect_uri = inp["redirect_uri"]
    session = {}
    app = WxhubApp(issuer, client, session)
    metadata = app.load_server_metadata()
    report = {}

    params = {"scope": inp.get("scope", "openid")}
    for name in ("prompt", "max_age"):
        if name in inp:
            params[name] = inp[name]
    rv = app.authorize_redirect(redirect_uri, **params)
    query = dict(parse_qsl(urlsplit(rv["url"]).query))
    report["authorization_request"] = {k: query.get(k) for k in ("code_challenge_method", "state", "nonce")}
    start = rv["url"]
    if inp.get("par"):
        # RFC 9126: the same parameters (client_id included, 2.1) pushed with the client's
        # authentication, then only client_id and request_uri in the browser.
        with app.oauth_client() as oauth:
            auth = oauth.client_auth(oauth.token_endpoint_auth_method)
            fields = dict(parse_qsl(urlsplit(rv["url"]).query))
            pushed = oauth.post(
                metadata["pushed_authorization_request_endpoint"], data=fields, auth=auth, withhold_token=True
            )
        report["par"] = {"status": pushed.status_code, "body": pushed.json()}
        if pushed.status_code != 201:
            return report
        start = metadata["authorization_endpoint"] + "?" + urlencode(
            {"client_id": client["id"], "request_uri": pushed.json()["request_uri"]}
        )

    browser = Browser(inp["sim"], inp["openid"], [redirect_uri, inp.get("post_logout_redirect_uri", redirect_uri)])
    callback, page = browser.walk(start)
    report["hops"] = browser.hops
    if page is not None:
        report["stuck"] = {"url": callback, "status": page.status_code, "body": page.text[:500]}
        return report
    report["callback"] = dict(parse_qsl(urlsplit(callback).query))

    extra = {"auth_time": {"essential": True}} if "max_age" in inp else None
    try:
        token = app.authorize_access_token(callback, id_token_claims_options(issuer, client["id"], extra))
    except (AuthlibBaseError, requests.HTTPError) as err:
        report["token_error"] = failure(err)
        return report
    report["token"] = {k: token.get(k) for k in ("token_type", "expires_in", "scope")}
    report["token"]["has_refresh_token"] = "refresh_token" in token
    report["id_token_header"] = json.loads(urlsafe_b64decode(token["id_token"].split(".")[0].encode()))
    report["claims"] = dict(token["userinfo"])
    report["userinfo"] = dict(app.userinfo(token=token))

    if "refresh_token" in token:
        report["refresh"] = refresh(app, issuer, client, token, report["claims"])
    if inp.get("revoke") and "revocation_endpoint" in metadata:
        report["revocation"] = revoke(app, metadata, token, report.get("refresh"))
    if inp.get("logout"):
        report["logout"] = logout(app, inp, browser, token)
    return report


def refresh(app, issuer, client, token, claims):
    """A refresh grant through Authlib; the new ID token verified like the first one."""
    with app.oauth_client() as oauth:
        oauth.token = token
        fresh = oauth.refresh_token(app.load_server_metadata()["token_endpoint"], refresh_token=token["refresh_token"])
    out = {"access_token_changed": fresh["access_token"] != token["access_token"]}
    out["refresh_token_rotated"] = fresh.get("refresh_token") != token["refresh_token"]
    if "id_token" in fresh:
        # OpenID Connect Core 12.2: same iss and sub, and a nonce only if it is the original one.
        verified = app.parse_id_token(
            dict(fresh), nonce=claims.get("nonce"), claims_options=id_token_claims_options(issuer, client["id"])
        )
        out["claims"] = dict(verified)
    out["tokens"] = {"access_token": fresh["access_token"], "refresh_token": fresh.get("refresh_token")}
    return out


def userinfo_status(app, access_token):
    res = app.get(app.load_server_metadata()["userinfo_endpoint"], token={"access_token": access_token, "token_type": "Bearer"})
    return {"status": res.status_code, "www_authenticate": res.headers.get("WWW-Authenticate")}


def revoke(app, metadata, token, refreshed):
    """RFC 7009 through Authlib: the refresh token when there is one (its grant's access tokens
    must stop too, 2.1), else the access token; then a token the provider never issued."""
    current = refreshed["tokens"] if refreshed else token
    out = {}
    with app.oauth_client() as oauth:
        endpoint = metadata["revocation_endpoint"]
        if current.get("refresh_token"):
            res = oauth.revoke_token(endpoint, token=current["refresh_token"], token_type_hint="refresh_token")
            out["refresh_token_revocation_status"] = res.status_code
            try:
                oauth.refresh_token(metadata["token_endpoint"], refresh_token=current["refresh_token"])
                out["refresh_after_revocation"] = "accepted"
            except AuthlibBaseError as err:
                out["refresh_after_revocation"] = failure(err)
        else:
            res = oauth.revoke_token(endpoint, token=current["access_token"], token_type_hint="access_token")
            out["access_token_revocation_status"] = res.status_code
        out["userinfo_after_revocation"] = userinfo_status(app, current["access_token"])
        res = oauth.revoke_token(endpoint, token="not-a-token-we-ever-had", token_type_hint="access_token")
        out["unknown_token_revocation_status"] = res.status_code
    return out


def logout(app, inp, browser, token):
    """RP-initiated logout 1.0: end_session_endpoint with id_token_hint, confirmed as a person would."""
    metadata = app.load_server_metadata()
    query = {
        "id_token_hint": token["id_token"],
        "post_logout_redirect_uri": inp["post_logout_redirect_uri"],
        "state": "logout-state-1",
    }
    url, page = browser.walk(metadata["end_session_endpoint"] + "?" + urlencode(query))
    out = {"confirmation_status": page.status_code if page is not None else None}
    if page is not None and page.status_code == 200:
        url, page = browser.submit(url, page.text, "op.logoutForm", ("logout", "yes"))
    out["landed"] = url
    out["stuck_status"] = page.status_code if page is not None else None
    # The session is gone: a silent login (prompt=none) must now answer login_required.
    again = app.authorize_redirect(inp["redirect_uri"], scope="openid", prompt="none")
    back, page = browser.walk(again["url"])
    out["prompt_none_after_logout"] = dict(parse_qsl(urlsplit(back).query)) if page is None else {"status": page.status_code}
    out["prompt_none_state"] = again["state"]
    return out


def main():
    scenario = sys.argv[1]
    inp = json.load(sys.stdin)
    run = {"discovery": scenario_discovery, "login": scenario_login}[scenario]
    json.dump(run(inp), sys.stdout)


if __name__ == "__main__":
    main()
