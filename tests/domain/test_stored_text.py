"""Text from a peer is stored whole when it fits in 1 KiB, else cut and marked."""

from __future__ import annotations

from hookline.domain.stored_text import STORED_TEXT_LIMIT, bounded, storable


def test_a_text_that_fits_is_kept_as_it_is():
    for text in ("", "HTTP 500", "x" * STORED_TEXT_LIMIT, "é" * (STORED_TEXT_LIMIT // 2)):
        assert bounded(text) == text


def test_a_longer_text_is_cut_to_the_limit_and_says_how_long_it_was():
    text = "redirect not followed (Location: " + "x" * 4_194_304 + ")"
    cut = bounded(text)
    assert len(cut.encode()) <= STORED_TEXT_LIMIT
    assert cut.startswith("redirect not followed (Location: xxx")
    assert cut.endswith(f" …[cut: {len(text)} bytes in all]")
    assert len(cut.encode()) > STORED_TEXT_LIMIT - 8  # as much as fits is kept


def test_the_limit_counts_bytes_and_never_splits_a_character():
    text = "€" * 1000  # three bytes each
    cut = bounded(text)
    assert len(cut.encode()) <= STORED_TEXT_LIMIT
    assert cut.rstrip().split(" …[cut")[0] == "€" * cut.count("€")
    assert "\ufffd" not in cut
    assert bounded("é" * 600, limit=1000).endswith("[cut: 1200 bytes in all]")


def test_nul_characters_are_replaced_so_any_database_stores_the_text():
    assert storable("a\x00b") == "a\ufffdb"
    assert bounded("a\x00b") == "a\ufffdb"
    assert "\x00" not in bounded("\x00" * 5000)
