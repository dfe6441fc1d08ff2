using System.Security.Cryptography;

namespace Webhooks.Core;

/// <summary>
/// Sortable, URL-safe ids: a prefix, then 26 Crockford base32 characters (48-bit millisecond
/// time + 80 random bits, as ULID), so ids created later sort later and paging by id is stable.
/// </summary>
internal static class WebhookIds
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public static string New(string prefix, DateTimeOffset now)
    {
        Span<byte> bytes = stackalloc byte[16];
        long ms = now.ToUnixTimeMilliseconds();
        for (int i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)(ms & 0xFF);
            ms >>= 8;
        }

        RandomNumberGenerator.Fill(bytes[6..]);
        return string.Create(prefix.Length + 26, (prefix, bytes.ToArray()), static (span, state) =>
        {
            state.prefix.AsSpan().CopyTo(span);
            var dest = span[state.prefix.Length..];
            var b = state.Item2;
            // 128 bits -> 26 chars of 5 bits (the first char carries 3 bits).
            UInt128 value = 0;
            foreach (var x in b)
            {
                value = (value << 8) | x;
            }

            for (int i = 25; i >= 0; i--)
            {
                dest[i] = Alphabet[(int)(value & 31)];
                value >>= 5;
            }
        });
    }

    /// <summary>True when <paramref name="id"/> looks like an id this library made with <paramref name="prefix"/>.</summary>
    public static bool IsWellFormed(string? id, string prefix)
    {
        if (id is null || id.Length != prefix.Length + 26 || !id.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in id.AsSpan(prefix.Length))
        {
            if (!Alphabet.Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
