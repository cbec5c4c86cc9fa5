"""Big-number arithmetic with GNU MP: 1000! and the product of two 1000-digit numbers.

gmp.h names its API through macros (`#define mpz_mul __gmpz_mul`), which the module exposes
as the functions themselves; mpz_t is `typedef __mpz_struct mpz_t[1]`, an array of one struct,
which C passes as a pointer: a ctypes mpz_t instance is passed the same way.

    python examples/gmp_factorial.py
"""

import ctypes

from example_binding import bind

gmp = bind("gmp_ffi", ["gmp.h"], library="gmp")


class Mpz:
    """An mpz_t with its mpz_clear, for `with` blocks."""

    def __init__(self, text=b"0"):
        self.value = gmp.mpz_t()
        if gmp.mpz_init_set_str(self.value, text, 10) != 0:
            gmp.mpz_clear(self.value)
            raise ValueError("not a decimal number: %r" % text)

    def __enter__(self):
        return self.value

    def __exit__(self, *exc_info):
        gmp.mpz_clear(self.value)


def decimal(number):
    buffer = ctypes.create_string_buffer(gmp.mpz_sizeinbase(number, 10) + 2)  # sign and NUL
    gmp.mpz_get_str(buffer, 10, number)
    return buffer.value.decode()


A = "1234567890" * 100                       # 1000 digits
B = "9" + "8765432101" * 99 + "876543210"    # 1000 digits
print("gmp", gmp.gmp_version.value.decode())
with Mpz() as factorial:
    gmp.mpz_fac_ui(factorial, 1000)
    print("1000! has %d digits: %s" % (len(decimal(factorial)), decimal(factorial)))
with Mpz(A.encode()) as a, Mpz(B.encode()) as b, Mpz() as product:
    gmp.mpz_mul(product, a, b)
    print("a: %s" % A)
    print("b: %s" % B)
    print("a*b: %s" % decimal(product))
    # product[0] is the __mpz_struct inside mpz_t: its _mp_size counts limbs (negative: < 0)
    print("a*b takes: %d limbs of %d bits" % (abs(product[0]._mp_size), gmp.GMP_LIMB_BITS))
