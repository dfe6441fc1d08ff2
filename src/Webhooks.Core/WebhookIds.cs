using System.Security.Cryptography;

namespace Webhooks.Core;

/// <summary>
/// Sortable, URL-safe ids: a prefix, then 26 Crockford base32 characters (48-bit millisecond
/// time + 80 random bits, as ULID). Monotonic within a process: an id made in the same
/// millisecond as the previous one is that one plus one, so ids created later sort later and
/// paging by id is stable.
/// </summary>
internal static class WebhookIds
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static readonly Lock Gate = new();
    private static UInt128 _last;

    public static string New(string prefix, DateTimeOffset now)
    {
        Span<byte> random = stackalloc byte[10];
        RandomNumberGenerator.Fill(random);
        UInt128 value = (UInt128)(ulong)Math.Max(0, now.ToUnixTimeMilliseconds()) << 80;
        for (int i = 0; i < random.Length; i++)
        {
            value |= (UInt128)random[i] << (8 * (9 - i));
        }

        lock (Gate)
        {
            if (value <= _last)
            {
                value = _last + 1;
            }

            _last = value;
        }

        return string.Create(prefix.Length + 26, (prefix, value), static (span, state) =>
        {
            state.prefix.AsSpan().CopyTo(span);
            var dest = span[state.prefix.Length..];
            var v = state.value;
            for (int i = 25; i >= 0; i--)
            {
                dest[i] = Alphabet[(int)(v & 31)];
                v >>= 5;
            }
        });
    }
}
