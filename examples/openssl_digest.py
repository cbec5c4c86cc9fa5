"""Fingerprint a file with OpenSSL's EVP API, authenticate it with HMAC-SHA256, seal it with
AES-256-GCM and open it again, set up a TLS client context, and read the trusted certificates
through OpenSSL's stack macros: libcrypto and libssl bound straight from openssl/evp.h and
openssl/ssl.h.

    python examples/openssl_digest.py [FILE]       # FILE defaults to this script
"""

import ctypes
import os
import sys

from example_binding import bind

ssl = bind("openssl_ffi", ["openssl/evp.h", "openssl/ssl.h"], library=["ssl", "crypto"])
HMAC_KEY = b"lazybind example key"
CHUNK = 64 * 1024


def file_digest(path, algorithm):
    """The file's digest, fed to EVP in chunks as `openssl dgst` does."""
    context = ssl.EVP_MD_CTX_new()
    with ssl.__lazybind__.scoped(context, ssl.EVP_MD_CTX_free), open(path, "rb") as source:
        assert ssl.EVP_DigestInit_ex(context, ssl.EVP_get_digestbyname(algorithm), None) == 1
        for chunk in iter(lambda: source.read(CHUNK), b""):
            ssl.EVP_DigestUpdate(context, chunk, len(chunk))
        digest, size = ctypes.create_string_buffer(ssl.EVP_MAX_MD_SIZE), ctypes.c_uint()
        assert ssl.EVP_DigestFinal_ex(context, digest, ctypes.byref(size)) == 1
        # a macro over two calls: EVP_MD_get_size(EVP_MD_CTX_get0_md(context))
        assert ssl.EVP_MD_CTX_get_size(context) == size.value
        return digest.raw[:size.value]


def sha256(data):
    out, size = ctypes.create_string_buffer(ssl.EVP_MAX_MD_SIZE), ctypes.c_uint()
    assert ssl.EVP_Digest(data, len(data), out, ctypes.byref(size), ssl.EVP_sha256(), None) == 1
    return out.raw[:size.value]


def hmac_sha256(key, data):
    out, size = ctypes.create_string_buffer(ssl.EVP_MAX_MD_SIZE), ctypes.c_uint()
    ssl.HMAC(ssl.EVP_sha256(), key, len(key), data, len(data), out, ctypes.byref(size))
    return out.raw[:size.value]


def gcm(encrypt, key, iv, data, tag=None):
    """AES-256-GCM: (ciphertext, tag) when encrypting; the plaintext, or None when the tag does
    not authenticate it, when decrypting."""
    context = ssl.EVP_CIPHER_CTX_new()
    with ssl.__lazybind__.scoped(context, ssl.EVP_CIPHER_CTX_free):
        assert ssl.EVP_CipherInit_ex(context, ssl.EVP_aes_256_gcm(), None, key, iv, int(encrypt)) == 1
        out, size, final = ctypes.create_string_buffer(len(data) + 16), ctypes.c_int(), ctypes.c_int()
        assert ssl.EVP_CipherUpdate(context, out, ctypes.byref(size), data, len(data)) == 1
        if not encrypt:
            ssl.EVP_CIPHER_CTX_ctrl(context, ssl.EVP_CTRL_GCM_SET_TAG, 16, ctypes.create_string_buffer(tag, 16))
        if ssl.EVP_CipherFinal_ex(context, ctypes.byref(out, size.value), ctypes.byref(final)) != 1:
            return None
        text = out.raw[:size.value + final.value]
        if not encrypt:
            return text
        tag_out = ctypes.create_string_buffer(16)
        assert ssl.EVP_CIPHER_CTX_ctrl(context, ssl.EVP_CTRL_GCM_GET_TAG, 16, tag_out) == 1
        return text, tag_out.raw


def trusted_certificates():
    """The DER encoding of each certificate in OpenSSL's default CA file. The sk_X509_INFO_*
    macros cast their arguments through inline functions, and sk_X509_INFO_value casts its
    result to X509_INFO *: the bound macros do the same."""
    source = ssl.BIO_new_file(ssl.X509_get_default_cert_file(), b"r")
    if not source:
        return []
    with ssl.__lazybind__.scoped(source, ssl.BIO_free):
        infos = ssl.PEM_X509_INFO_read_bio(source, None, None, None)
    found = []
    for number in range(ssl.sk_X509_INFO_num(infos)):
        certificate = ssl.sk_X509_INFO_value(infos, number).contents.x509
        if certificate:
            der = (ctypes.c_ubyte * ssl.i2d_X509(certificate, None))()
            ssl.i2d_X509(certificate, ctypes.byref(ctypes.cast(der, ctypes.POINTER(ctypes.c_ubyte))))
            found.append(bytes(der))
    ssl.sk_X509_INFO_pop_free(infos, ssl.X509_INFO_free)
    return found


path = sys.argv[1] if len(sys.argv) > 1 else __file__
with open(path, "rb") as source:
    content = source.read()
print("library:", ssl.OpenSSL_version(ssl.OPENSSL_VERSION).decode())
print("file:", path)
for algorithm in (b"sha256", b"sha512", b"md5"):
    print("%s: %s" % (algorithm.decode(), file_digest(path, algorithm).hex()))
print("hmac-sha256:", hmac_sha256(HMAC_KEY, content).hex())

# GCM test case 14 of McGrew & Viega: zero key, zero IV, one zero block.
ciphertext, tag = gcm(True, bytes(32), bytes(12), bytes(16))
print("aes-256-gcm test vector: ciphertext=%s tag=%s" % (ciphertext.hex(), tag.hex()))
key, iv = os.urandom(32), os.urandom(12)
sealed, tag = gcm(True, key, iv, content)
print("aes-256-gcm round trip:", "ok" if gcm(False, key, iv, sealed, tag) == content else "FAILED")
forged = bytes([sealed[0] ^ 1]) + sealed[1:] if sealed else sealed
print("aes-256-gcm forged ciphertext:", "rejected" if gcm(False, key, iv, forged, tag) is None else "ACCEPTED")

context = ssl.SSL_CTX_new(ssl.TLS_client_method())
with ssl.__lazybind__.scoped(context, ssl.SSL_CTX_free):
    # SSL_CTX_set_min_proto_version is a function-like macro over SSL_CTX_ctrl
    ssl.SSL_CTX_ctrl(context, ssl.SSL_CTRL_SET_MIN_PROTO_VERSION, ssl.TLS1_2_VERSION, None)
    minimum = ssl.SSL_CTX_ctrl(context, ssl.SSL_CTRL_GET_MIN_PROTO_VERSION, 0, None)
    print("tls client context: minimum protocol %#06x" % minimum)

certificates = sorted(set(trusted_certificates()))
print("trusted certificates: %d, sha256 of the sorted DER %s" % (
    len(certificates), sha256(b"".join(certificates)).hex() if certificates else "-"))
