"""services.targets: endpoint URLs in normal form, and where they lead judged before storing."""

from __future__ import annotations

import pytest

from hookline.domain.errors import RefusedTarget
from hookline.services.targets import check_addresses, host_of, normalise_url
from support.services import StaticResolver


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("HTTPS://Example.COM.", "https://example.com/"),
        ("https://bücher.example/p?q=1#frag", "https://xn--bcher-kva.example/p?q=1"),
        ("https://0x7f.1/", "https://127.0.0.1/"),
        ("https://[0:0::1]:8443/x", "https://[::1]:8443/x"),
        ("https://example.com:443/a", "https://example.com:443/a"),
    ],
)
def test_urls_are_put_in_normal_form(url: str, normal: str) -> None:
    assert normalise_url(url, allow_http=False) == normal


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://example.com/", "https-only"),
        ("ftp://example.com/", "https-only"),
        ("https://user:pw@example.com/", "no-userinfo"),
        ("https://example.com\\@evil.com/", "bad-characters"),
        ("https://exa mple.com/", "bad-characters"),
        ("https:///path", "no-host"),
        ("https://example.com:0/", "bad-port"),
        ("https://example.com:99999/", "malformed"),
        ("https://[fe80::1%25eth0]/", "bad-host"),
        ("https://under_score-.example/", "bad-host"),
        ("https://example.com/" + "a" * 2048, "too-long"),
    ],
)
def test_each_refusal_names_its_rule_at_body_url(url: str, rule: str) -> None:
    with pytest.raises(RefusedTarget) as caught:
        normalise_url(url, allow_http=False)
    assert caught.value.rule == rule
    assert [(e.location, e.value) for e in caught.value.errors] == [("body.url", url)]


def test_http_is_allowed_only_when_the_deployment_says_so() -> None:
    assert normalise_url("http://example.com", allow_http=True) == "http://example.com/"
    assert host_of("https://[::1]:8443/x") == "::1"


async def test_addresses_are_judged_by_every_answer() -> None:
    await check_addresses("https://hooks.example.com/", resolver=StaticResolver("93.184.216.34"))
    cases = [
        ("https://127.0.0.1/", StaticResolver(), "loopback"),
        ("https://[::ffff:10.0.0.1]/", StaticResolver(), "ipv4-mapped"),
        ("https://localhost/", StaticResolver("93.184.216.34"), "loopback"),
        (
            "https://h.example.com/",
            StaticResolver("93.184.216.34", "169.254.169.254"),
            "link-local",
        ),
        ("https://h.example.com/", StaticResolver(), "unresolvable"),
    ]
    for url, resolver, rule in cases:
        with pytest.raises(RefusedTarget) as caught:
            await check_addresses(url, resolver=resolver)
        assert caught.value.rule == rule, url
        assert [e.location for e in caught.value.errors] == ["body.url"]
    assert cases[3][1].asked == ["h.example.com"]


async def test_a_name_that_does_not_resolve_is_refused() -> None:
    class Failing:
        async def resolve(self, host: str) -> list[object]:
            raise OSError("NXDOMAIN")

    with pytest.raises(RefusedTarget) as caught:
        await check_addresses("https://gone.example/", resolver=Failing())  # type: ignore[arg-type]
    assert caught.value.rule == "unresolvable"
