"""The network policy at registration, through the real API (DESIGN §6, issue 4).

A server runs with the production policy (https only, public addresses only); the
stand-in DNS (conftest) answers for names. Each table is walked on one server: every
malicious URL gets 400 problem+json naming its rule and nothing is stored; every
legitimate URL is registered in its normal form.
"""

from __future__ import annotations

MALICIOUS: list[tuple[str, str]] = [
    # scheme, userinfo and character tricks
    ("http://hooks.public.example/in", "https-only"),
    ("ftp://hooks.public.example/in", "https-only"),
    ("file:///etc/passwd", "https-only"),
    ("gopher://127.0.0.1:6379/_INFO", "https-only"),
    ("javascript:alert(1)", "https-only"),
    ("https://user:pass@hooks.public.example/in", "no-userinfo"),
    ("https://user@hooks.public.example/in", "no-userinfo"),
    ("https://hooks.public.example@127.0.0.1/in", "no-userinfo"),
    ("https://hooks.public.example:443@10.0.0.1/", "no-userinfo"),
    ("https://hooks.public.example\\@127.0.0.1/", "bad-characters"),
    ("https:\\\\127.0.0.1\\in", "bad-characters"),
    ("https://hooks.public.example/in\r\nHost: 127.0.0.1", "bad-characters"),
    ("https://hooks.public.example/\nin", "bad-characters"),
    ("https://hooks.public.example\t/in", "bad-characters"),
    ("https://hooks.public .example/in", "bad-characters"),
    ("https://hooks.public.example\x00.evil/in", "bad-characters"),
    ("https://hooks.public.example%0d%0a.evil/in", "bad-host"),
    ("https://127%2e0%2e0%2e1/in", "bad-host"),
    ("https://[fe80::1%25eth0]/in", "bad-host"),
    ("https://-bad-.example/in", "bad-host"),
    ("https:///in", "no-host"),
    ("https://:443/in", "no-host"),
    ("https://hooks.public.example:0/in", "bad-port"),
    ("https://hooks.public.example:99999/in", "malformed"),
    ("https://" + "a" * 2100 + ".example/", "too-long"),
    # loopback in every spelling
    ("https://127.0.0.1/in", "loopback"),
    ("https://127.0.0.1./in", "loopback"),
    ("https://127.1/in", "loopback"),
    ("https://127.0.1/in", "loopback"),
    ("https://2130706433/in", "loopback"),
    ("https://0x7f.1/in", "loopback"),
    ("https://0x7f000001/in", "loopback"),
    ("https://0177.0.0.1/in", "loopback"),
    ("https://017700000001:8443/in", "loopback"),
    ("https://１２７.０.０.１/in", "loopback"),  # full-width digits
    ("https://127。0。0。1/in", "loopback"),  # ideographic full stops
    ("https://[::1]/in", "loopback"),
    ("https://[0:0:0:0:0:0:0:1]:8443/in", "loopback"),
    ("https://localhost/in", "loopback"),
    ("https://LOCALHOST:8443/in", "loopback"),
    ("https://api.localhost./in", "loopback"),
    # private, link-local, metadata, CGNAT and the other special ranges
    ("https://0.0.0.0/in", "this-network"),
    ("https://0/in", "this-network"),
    ("https://10.0.0.1/in", "private"),
    ("https://172.16.5.4/in", "private"),
    ("https://172.31.255.255/in", "private"),
    ("https://192.168.0.1/in", "private"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://0xa9fea9fe/latest/meta-data/", "link-local"),
    ("https://[fe80::1]/in", "link-local"),
    ("https://100.64.0.1/in", "cgnat"),
    ("https://100.127.255.254/in", "cgnat"),
    ("https://192.0.0.170/in", "ietf-protocol-assignments"),
    ("https://198.18.0.1/in", "benchmarking"),
    ("https://198.19.255.1/in", "benchmarking"),
    ("https://240.0.0.1/in", "reserved"),
    ("https://255.255.255.255/in", "broadcast"),
    ("https://224.0.0.251/in", "multicast"),
    ("https://[ff02::1]/in", "multicast"),
    ("https://192.0.2.10/in", "documentation"),
    ("https://198.51.100.1/in", "documentation"),
    ("https://203.0.113.5/in", "documentation"),
    ("https://[2001:db8::1]/in", "documentation"),
    ("https://[fd00:ec2::254]/latest/meta-data/", "unique-local"),
    ("https://[fc00::1]/in", "unique-local"),
    ("https://[fec0::1]/in", "site-local"),
    ("https://[::]/in", "unspecified"),
    # IPv6 forms that embed an IPv4 address
    ("https://[::ffff:7f00:1]/in", "ipv4-mapped"),
    ("https://[::ffff:127.0.0.1]:8443/in", "ipv4-mapped"),
    ("https://[::ffff:a9fe:a9fe]/in", "ipv4-mapped"),
    ("https://[::127.0.0.1]/in", "ipv4-compatible"),
    ("https://[64:ff9b::7f00:1]/in", "nat64"),
    ("https://[64:ff9b::a9fe:a9fe]/in", "nat64"),
    ("https://[64:ff9b:1::a00:1]/in", "nat64"),
    ("https://[2002:7f00:1::]/in", "6to4"),
    ("https://[2002:a9fe:a9fe::1]/in", "6to4"),
    ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/in", "teredo"),
    # names: every A/AAAA answer counts (through the stand-in DNS)
    ("https://private.example/in", "private"),
    ("https://metadata.example/latest/meta-data/", "link-local"),
    ("https://loopback.example/in", "loopback"),
    ("https://zero.example/in", "this-network"),
    ("https://mixed.example/in", "private"),
    ("https://MIXED.Example./in", "private"),
    ("https://v6-local.example/in", "unique-local"),
    ("https://v6-loopback.example:8443/in", "loopback"),
    ("https://mapped.example/in", "ipv4-mapped"),
    ("https://cgnat.example/in", "cgnat"),
    ("https://nat64.example/in", "nat64"),
    ("https://bücher-intern.example/in", "private"),
    ("https://nowhere.example/in", "unresolvable"),
    ("https://empty.example/in", "unresolvable"),
]

LEGITIMATE: list[tuple[str, str]] = [
    ("https://hooks.public.example/in", "https://hooks.public.example/in"),
    ("https://Hooks.Public.Example./in", "https://hooks.public.example/in"),
    (
        "https://hooks.public.example:8443/in?x=1&y=2",
        "https://hooks.public.example:8443/in?x=1&y=2",
    ),
    ("https://hooks.public.example", "https://hooks.public.example/"),
    ("https://hooks.public.example/in#fragment", "https://hooks.public.example/in"),
    ("https://dual.example/in", "https://dual.example/in"),
    ("https://v6only.example/in", "https://v6only.example/in"),
    ("https://BÜCHER.example./in", "https://xn--bcher-kva.example/in"),
    ("https://xn--bcher-kva.example/in", "https://xn--bcher-kva.example/in"),
    ("https://münchen.example/webhooks", "https://xn--mnchen-3ya.example/webhooks"),
    ("https://8.8.8.8/hook", "https://8.8.8.8/hook"),
    ("https://1.1.1.1:8443/hook", "https://1.1.1.1:8443/hook"),
    ("https://134744072/hook", "https://8.8.8.8/hook"),
    ("https://[2606:4700:4700::1111]/hook", "https://[2606:4700:4700::1111]/hook"),
    (
        "https://[2606:4700:4700:0:0:0:0:1111]:8443/hook",
        "https://[2606:4700:4700::1111]:8443/hook",
    ),
    ("https://[2A00:1450:4001:830::200E]/hook", "https://[2a00:1450:4001:830::200e]/hook"),
]


async def _setup(hl):
    await hl.event_type("invoice.paid")
    return (await hl.tenant())["id"]


async def test_malicious_urls_are_refused_naming_the_rule(strict, dns):
    assert len(MALICIOUS) >= 50
    tenant = await _setup(strict)
    wrong = []
    for url, rule in MALICIOUS:
        resp = await strict.client.post(
            f"/v1/tenants/{tenant}/endpoints", json={"url": url, "events": ["invoice.paid"]}
        )
        body = resp.json() if resp.content else {}
        if (
            resp.status_code != 400
            or resp.headers["content-type"] != "application/problem+json"
            or body.get("rule") != rule
            or not body["type"].endswith("/endpoint-url-refused")
            or body["errors"][0]["location"] != "body.url"
        ):
            wrong.append(f"{url!r}: {resp.status_code} {body}")
    assert not wrong, "\n".join(wrong)
    listed = await strict.call("GET", f"/v1/tenants/{tenant}/endpoints", 200)
    assert listed["data"] == []
    # Names were looked up in normal form: lower case, no trailing dot, punycode.
    assert "mixed.example" in dns.asked
    assert "xn--bcher-intern-dlb.example" in dns.asked
    assert not any(h != h.lower() or h.endswith(".") for h in dns.asked)


async def test_legitimate_urls_are_registered_in_normal_form(strict):
    assert len(LEGITIMATE) >= 10
    tenant = await _setup(strict)
    wrong = []
    for url, normal in LEGITIMATE:
        resp = await strict.client.post(
            f"/v1/tenants/{tenant}/endpoints", json={"url": url, "events": ["invoice.paid"]}
        )
        if resp.status_code != 201 or resp.json()["url"] != normal:
            wrong.append(f"{url!r}: {resp.status_code} {resp.text}")
    assert not wrong, "\n".join(wrong)


async def test_changing_the_url_is_judged_like_registering_it(strict, dns):
    tenant = await _setup(strict)
    ep = await strict.endpoint(tenant, "https://hooks.public.example/in", ["invoice.paid"], uid="x")
    path = f"/v1/tenants/{tenant}/endpoints/{ep['id']}"

    resp = await strict.client.patch(path, json={"url": "https://metadata.example/"})
    assert resp.status_code == 400
    assert resp.json()["rule"] == "link-local"
    resp = await strict.client.put(
        f"/v1/tenants/{tenant}/endpoints/x",
        json={"url": "https://[::ffff:10.0.0.1]/", "events": ["invoice.paid"]},
    )
    assert resp.status_code == 400
    assert resp.json()["rule"] == "ipv4-mapped"
    assert (await strict.call("GET", path, 200))["url"] == "https://hooks.public.example/in"

    # A change that keeps the URL does not look it up again: an endpoint whose name
    # stopped resolving can still be disabled (the worker refuses it anyway).
    del dns.records["hooks.public.example"]
    asked = len(dns.asked)
    changed = await strict.call("PATCH", path, 200, json={"enabled": False})
    assert changed["enabled"] is False
    assert len(dns.asked) == asked


DEVELOPMENT: list[tuple[str, int, str]] = [
    ("http://127.0.0.1:9/in", 201, "http://127.0.0.1:9/in"),
    ("https://0x7f.1/in", 201, "https://127.0.0.1/in"),
    ("https://[0:0:0:0:0:0:0:1]:8443/in", 201, "https://[::1]:8443/in"),
    ("https://10.0.0.1/in", 201, "https://10.0.0.1/in"),
    ("https://user:pw@127.0.0.1/in", 400, "no-userinfo"),
    ("https://127.0.0.1\\@evil.example/", 400, "bad-characters"),
    ("ftp://127.0.0.1/in", 400, "https-only"),
]


async def test_development_mode_lifts_the_addresses_not_the_syntax(start, dns):
    hl = await start(allow_http=True, allow_private_targets=True, resolver=dns)
    tenant = await _setup(hl)
    for url, status, expected in DEVELOPMENT:
        resp = await hl.client.post(
            f"/v1/tenants/{tenant}/endpoints", json={"url": url, "events": ["invoice.paid"]}
        )
        assert resp.status_code == status, (url, resp.text)
        assert (resp.json()["url"] if status == 201 else resp.json()["rule"]) == expected
    assert dns.asked == []
