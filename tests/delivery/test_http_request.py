"""A URL read into where to connect and the request line; heads built from headers."""

from __future__ import annotations

import pytest

from hookline.delivery.http_request import BadRequest, target_of


@pytest.mark.parametrize(
    ("url", "tls", "host", "port", "line"),
    [
        (
            "http://hooks.example/in",
            False,
            "hooks.example",
            80,
            "POST /in HTTP/1.1\r\nHost: hooks.example\r\n",
        ),
        (
            "https://hooks.example:443",
            True,
            "hooks.example",
            443,
            "POST / HTTP/1.1\r\nHost: hooks.example\r\n",
        ),
        (
            "HTTPS://Hooks.Example.:8443/a?b=c#frag",
            True,
            "hooks.example",
            8443,
            "POST /a?b=c HTTP/1.1\r\nHost: hooks.example:8443\r\n",
        ),
        (
            "https://bücher.example/é",
            True,
            "xn--bcher-kva.example",
            443,
            "POST /%C3%A9 HTTP/1.1\r\nHost: xn--bcher-kva.example\r\n",
        ),
        ("http://[::1]:8080/in", False, "::1", 8080, "POST /in HTTP/1.1\r\nHost: [::1]:8080\r\n"),
        (
            "http://h.example/a%20b/c d?q=1 2&r=%2F",
            False,
            "h.example",
            80,
            "POST /a%20b/c%20d?q=1%202&r=%2F HTTP/1.1\r\nHost: h.example\r\n",
        ),
    ],
)
def test_a_url_is_read_once_into_target_and_request_line(url, tls, host, port, line):
    target = target_of(url)
    assert (target.tls, target.host, target.port) == (tls, host, port)
    assert target.origin == (tls, host, port)
    assert target.request_line == line.encode()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://hooks.example/in", "unsupported URL scheme"),
        ("http:///in", "no host"),
        ("http://hooks.example:99999/in", "invalid URL"),
        ("http://[::1/in", "invalid URL"),
    ],
)
def test_what_cannot_be_sent_is_refused(url, why):
    with pytest.raises(BadRequest, match=why):
        target_of(url)


def test_the_head_carries_the_headers_and_the_length():
    head = target_of("http://h.example/in").head({"webhook-id": "msg_1", "x-é": "ü"}, 12)
    assert head == (
        b"POST /in HTTP/1.1\r\nHost: h.example\r\nwebhook-id: msg_1\r\n"
        + "x-é: ü\r\n".encode()
        + b"Content-Length: 12\r\n\r\n"
    )
    assert target_of("http://h.example/in").head({}, 0).endswith(b"Content-Length: 0\r\n\r\n")


@pytest.mark.parametrize(
    "headers",
    [{"a": "1\r\nb: 2"}, {"a": "1\n"}, {"a\r": "1"}, {"a": "1\x00"}],
)
def test_a_line_break_or_nul_in_a_header_is_refused(headers):
    with pytest.raises(BadRequest, match="line break or NUL"):
        target_of("http://h.example/in").head(headers, 0)
