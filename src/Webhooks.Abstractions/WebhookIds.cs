using System.Security.Cryptography;

namespace Webhooks.Abstractions;

/// <summary>
/// Sortable, URL-safe ids: a prefix (<c>sub_</c>, <c>msg_</c>, <c>dlv_</c>), then 26 Crockford
/// base32 characters (48-bit millisecond time + 80 random bits, as ULID). Monotonic within a
/// process: an id made in the same millisecond as the previous one is that one plus one, so ids
/// created later sort later and paging by id is stable. Safe to call from several threads.
/// </summary>
public static class WebhookIds
{
    /// <summary>The prefix of subscription ids.</summary>
    public const string SubscriptionPrefix = "sub_";

    /// <summary>The prefix of message ids.</summary>
    public const string MessagePrefix = "msg_";

    /// <summary>The prefix of delivery ids.</summary>
    public const string DeliveryPrefix = "dlv_";

    /// <summary>The longest id accepted from outside (an import may bring its own ids).</summary>
    public const int MaxLength = 64;

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static readonly Lock Gate = new();
    private static UInt128 _last;

    /// <summary>Makes a new id.</summary>
    /// <param name="prefix">The prefix, such as <see cref="SubscriptionPrefix"/>.</param>
    /// <param name="now">The creation time (its milliseconds lead the id).</param>
    /// <returns>The id.</returns>
    public static string New(string prefix, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var random = NextRandom();
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

    private const int RandomBytes = 10;
    private const int RandomBufferBytes = RandomBytes * 32;

    // The random part comes from the system's cryptographic generator as before, drawn 32 ids at a
    // time per thread (each byte used once) instead of one call per id.
    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_randomNext;

    private static ReadOnlySpan<byte> NextRandom()
    {
        var buffer = t_random;
        int next = t_randomNext;
        if (buffer is null || next + RandomBytes > buffer.Length)
        {
            buffer = t_random ??= new byte[RandomBufferBytes];
            RandomNumberGenerator.Fill(buffer);
            next = 0;
        }

        t_randomNext = next + RandomBytes;
        return buffer.AsSpan(next, RandomBytes);
    }

    /// <summary>
    /// Whether <paramref name="id"/> is usable as an id or a paging cursor: 1 to <see cref="MaxLength"/>
    /// characters of ASCII letters, digits, <c>_</c> and <c>-</c>, starting with <paramref name="prefix"/>
    /// when one is given. Ids minted elsewhere (an import) pass as long as they keep these rules.
    /// </summary>
    /// <param name="id">The candidate.</param>
    /// <param name="prefix">The prefix it must start with, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when usable.</returns>
    public static bool IsValid(string? id, string? prefix = null)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength || (prefix is not null && !id.StartsWith(prefix, StringComparison.Ordinal)))
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '_' and not '-')
            {
                return false;
            }
        }

        return true;
    }
}
