"""Hostname rules of a claim: the normal form, and each bad input refused with its reason."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.domains.hostnames import InvalidHostname, display_hostname, normalize_hostname

PLATFORM = ["storefront.localhost", "ameide-platform.example"]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("shop.example.com", "shop.example.com"),
        ("Shop.EXAMPLE.com", "shop.example.com"),
        ("shop.example.com.", "shop.example.com"),
        ("  shop.example.com  ", "shop.example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("SHOP.BÜCHER.DE", "shop.xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("straße.de", "xn--strae-oqa.de"),  # IDNA 2008 keeps ß (IDNA 2003 made it "ss")
        ("例え.jp", "xn--r8jz45g.jp"),
        ("shopテスト.jp", "xn--shop-yn4czcp.jp"),
        ("магазин.рф", "xn--80aairftm.xn--p1ai"),
        ("my-shop.co.uk", "my-shop.co.uk"),
        ("store1.foo.github.io", "store1.foo.github.io"),
    ],
)
def test_names_are_normalized(raw: str, normal: str) -> None:
    assert normalize_hostname(raw, PLATFORM) == normal


def test_the_unicode_form_is_shown_to_people() -> None:
    assert display_hostname("shop.xn--bcher-kva.de") == "shop.bücher.de"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "empty"),
        ("shop example.com", "whitespace"),
        ("shop.example.com\tx", "whitespace"),
        ("a" * 64 + ".example.com", "64 characters long; a label has at most 63"),
        (".".join(["a" * 50] * 5) + ".com", "characters long; at most 253"),
        ("192.0.2.10", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("2001:db8::1", "IP address"),
        ("1.2.3", "all digits"),
        ("*.example.com", "wildcard"),
        ("shop.storefront.localhost", "platform's own domain 'storefront.localhost'"),
        ("storefront.localhost", "platform's own domain"),
        ("a.b.AMEIDE-PLATFORM.example.", "platform's own domain 'ameide-platform.example'"),
        ("co.uk", "'co.uk' is a public suffix"),
        ("com", "single label"),
        ("github.io", "'github.io' is a public suffix"),
        ("https://shop.example.com/", "without scheme, port or path"),
        ("shop.example.com:443", "without scheme, port or path"),
        ("shop..example.com", "empty label"),
        ("-shop.example.com", "hyphen"),
        ("shop_1.example.com", "not a valid internationalized label"),
        ("\u0430pple.com", "mixes scripts (Cyrillic, Latin)"),
        ("p\u0430ypal.example.com", "mixes scripts"),
        ("\u0430\u0440\u0440\u04cf\u0435.com", "Cyrillic letters that all look like Latin"),
        ("g\u03bfogle.com", "mixes scripts (Greek, Latin)"),
    ],
)
def test_bad_names_are_refused_with_the_reason(raw: str, why: str) -> None:
    with pytest.raises(InvalidHostname) as refused:
        normalize_hostname(raw, PLATFORM)
    assert why in str(refused.value)
    assert "cannot be claimed" in str(refused.value) or raw == ""


_LABEL = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-äöüßéç"), min_size=1, max_size=20
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LABEL, min_size=1, max_size=4), st.sampled_from(["com", "de", "co.uk", "shop"]))
def test_a_claimable_name_is_ascii_bounded_and_its_own_normal_form(
    labels: list[str], suffix: str
) -> None:
    raw = ".".join([*labels, suffix])
    try:
        normal = normalize_hostname(raw, PLATFORM)
    except InvalidHostname as refused:
        assert "cannot be claimed" in str(refused)
        return
    assert normal.isascii() and normal == normal.lower()
    assert len(normal) <= 253 and all(0 < len(label) <= 63 for label in normal.split("."))
    assert normalize_hostname(normal, PLATFORM) == normal
    # Upper case (ASCII only: "ß".upper() is "SS", another name under IDNA 2008).
    shouted = raw.translate(str.maketrans(string.ascii_lowercase, string.ascii_uppercase))
    assert normalize_hostname(shouted + ".", PLATFORM) == normal
