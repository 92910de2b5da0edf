"""An independent implementation of the TP event envelope (baidu-cashier.md section 3.3) for the
interop tests: hashlib SHA-1 and the `cryptography` package's AES-256-CBC, nothing shared with the
SDK. Reads one JSON request on stdin, prints one JSON answer.

seal: {"op":"seal","token","aes_key","tp_id","message_b64","nonce","timestamp","random_hex",
       optional tampering: "length" (the length prefix), "id" (the trailing id), "pad_hex"
       (the padding bytes instead of the correct ones)} -> the envelope
open: {"op":"open","token","aes_key","tp_id","body"} -> {"ok":true,"message_b64"} or
      {"ok":false,"error":"signature"|"blocks"|"padding"|"length"|"id"}
"""
import base64
import hashlib
import json
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def key_of(aes_key):
    key = base64.b64decode(aes_key + "=")
    assert len(key) == 32, "EncodingAESKey must decode to 32 bytes"
    return key


def signature(token, timestamp, nonce, encrypt):
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def seal(req):
    key = key_of(req["aes_key"])
    message = base64.b64decode(req["message_b64"])
    length = req.get("length", len(message))
    tp_id = req.get("id", req["tp_id"]).encode()
    plain = bytes.fromhex(req["random_hex"]) + struct.pack(">I", length) + message + tp_id
    if "pad_hex" in req:
        plain += bytes.fromhex(req["pad_hex"])
    else:
        pad = 32 - len(plain) % 32
        plain += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    encrypt = base64.b64encode(enc.update(plain) + enc.finalize()).decode()
    timestamp = str(req["timestamp"])
    return {
        "Nonce": req["nonce"],
        "TimeStamp": timestamp,
        "Encrypt": encrypt,
        "MsgSignature": signature(req["token"], timestamp, req["nonce"], encrypt),
    }


def open_(req):
    env = json.loads(req["body"])
    expected = signature(req["token"], env["TimeStamp"], env["Nonce"], env["Encrypt"])
    if expected != env["MsgSignature"].lower():
        return {"ok": False, "error": "signature"}
    key = key_of(req["aes_key"])
    ct = base64.b64decode(env["Encrypt"])
    if len(ct) == 0 or len(ct) % 16:
        return {"ok": False, "error": "blocks"}
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = dec.update(ct) + dec.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
        return {"ok": False, "error": "padding"}
    plain = plain[:-pad]
    if len(plain) < 20:
        return {"ok": False, "error": "length"}
    (length,) = struct.unpack(">I", plain[16:20])
    if 20 + length > len(plain):
        return {"ok": False, "error": "length"}
    if plain[20 + length:] != req["tp_id"].encode():
        return {"ok": False, "error": "id"}
    return {"ok": True, "message_b64": base64.b64encode(plain[20:20 + length]).decode()}


req = json.load(sys.stdin)
print(json.dumps(seal(req) if req["op"] == "seal" else open_(req)))
