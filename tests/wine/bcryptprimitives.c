/*
 * A stand-in bcryptprimitives.dll for running Rust programs under Debian's
 * Wine 8.0, which lacks ProcessPrng (added in Wine 8.13). The Rust standard
 * library (1.78+) imports it for random numbers; without it every program
 * exits with code 53 before main. FOR TESTS UNDER WINE ONLY: never ship it.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom, advapi32 */

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x7fffffff ? 0x7fffffff : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
