from __future__ import annotations

import pytest

from hookline.domain.encryption import Cipher, DecryptionError, new_master_key, parse_master_key


def test_seal_and_open_round_trip_bound_to_context():
    cipher = Cipher([parse_master_key(new_master_key())])
    sealed = cipher.seal("whsec_secret", context="secret:ep_1")
    assert "whsec_secret" not in sealed
    assert sealed.startswith("enc:v1:" + cipher.primary_key_id + ":")
    assert cipher.open(sealed, context="secret:ep_1") == "whsec_secret"
    with pytest.raises(DecryptionError):
        cipher.open(sealed, context="secret:ep_2")  # moved to another row: refused


def test_old_keys_still_open_and_new_values_use_the_primary():
    old = parse_master_key(new_master_key())
    new = parse_master_key(new_master_key())
    sealed_old = Cipher([old]).seal("v", context="c")
    both = Cipher([new, old])
    assert both.open(sealed_old, context="c") == "v"
    assert not both.sealed_with_primary(sealed_old)
    assert both.sealed_with_primary(both.seal("v", context="c"))
    with pytest.raises(DecryptionError):
        Cipher([new]).open(sealed_old, context="c")


@pytest.mark.parametrize("text", ["short", "00" * 31, "!" * 44])
def test_bad_master_keys_are_refused(text):
    with pytest.raises(ValueError):
        parse_master_key(text)


def test_hex_and_base64_master_keys_are_accepted():
    assert len(parse_master_key("ab" * 32)) == 32
    assert len(parse_master_key(new_master_key())) == 32
