using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Webhooks.Core.Signing;

/// <summary>The HMAC computations shared by the signers and the verifier.</summary>
internal static class WebhookSignatures
{
    /// <summary>"v1," + base64 HMAC-SHA256 of "id.timestamp.body" keyed by the decoded secret (Standard Webhooks), built as one string.</summary>
    public static string StandardV1Header(string secret, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        Span<byte> mac = stackalloc byte[32];
        ComputeV1(secret, messageId, timestamp, body, mac);
        Span<char> text = stackalloc char[3 + 44];
        "v1,".CopyTo(text);
        Convert.TryToBase64Chars(mac, text[3..], out var written);
        return new string(text[..(3 + written)]);
    }

    private static void ComputeV1(string secret, string messageId, long timestamp, ReadOnlySpan<byte> body, Span<byte> mac)
    {
        var hmac = RentHmac(secret);
        Span<byte> prefix = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(messageId.Length, 256)) + 24];
        int n;
        if (messageId.Length <= 256)
        {
            n = Encoding.UTF8.GetBytes(messageId, prefix);
        }
        else
        {
            hmac.AppendData(Encoding.UTF8.GetBytes(messageId));
            n = 0;
        }

        prefix[n++] = (byte)'.';
        timestamp.TryFormat(prefix[n..], out var w, default, CultureInfo.InvariantCulture);
        n += w;
        prefix[n++] = (byte)'.';
        hmac.AppendData(prefix[..n]);
        hmac.AppendData(body);
        hmac.GetHashAndReset(mac);
    }

    // Keyed HMAC contexts, kept per thread and reset after each use: creating one (a native
    // context plus the key schedule) costs more than signing a typical payload.
    [ThreadStatic]
    private static (string Secret, IncrementalHash Hmac)[]? t_hmacs;
    [ThreadStatic]
    private static int t_next;

    private static IncrementalHash RentHmac(string secret)
    {
        var cache = t_hmacs ??= new (string, IncrementalHash)[4];
        foreach (var entry in cache)
        {
            if (entry.Secret is not null && (ReferenceEquals(entry.Secret, secret) || entry.Secret == secret))
            {
                return entry.Hmac;
            }
        }

        var encoded = secret.StartsWith(WebhookSecret.Prefix, StringComparison.Ordinal) ? secret.AsSpan(WebhookSecret.Prefix.Length) : secret.AsSpan();
        Span<byte> key = stackalloc byte[128];
        if (encoded.Length > 170 || !Convert.TryFromBase64Chars(encoded, key, out var keyLength))
        {
            throw new WebhookException("A signing secret is not 'whsec_' + base64 of at most 128 bytes; rotate the subscription's secret.");
        }

        var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key[..keyLength]);
        ref var slot = ref cache[t_next];
        slot.Hmac?.Dispose();
        slot = (secret, hmac);
        t_next = (t_next + 1) % cache.Length;
        return hmac;
    }

    /// <summary>One-shot HMAC over "id.timestamp." + body assembled in a pooled buffer (cheaper than incremental hashing).</summary>
    public static void ComputeStandard(ReadOnlySpan<byte> key, string messageId, long timestamp, ReadOnlySpan<byte> body, Span<byte> mac)
    {
        int max = Encoding.UTF8.GetMaxByteCount(messageId.Length) + 22 + body.Length;
        byte[] rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var buffer = rented.AsSpan();
            int n = Encoding.UTF8.GetBytes(messageId, buffer);
            buffer[n++] = (byte)'.';
            timestamp.TryFormat(buffer[n..], out var w, default, CultureInfo.InvariantCulture);
            n += w;
            buffer[n++] = (byte)'.';
            body.CopyTo(buffer[n..]);
            n += body.Length;
            HMACSHA256.HashData(key, buffer[..n], mac);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Lowercase hex HMAC-SHA256 of the body keyed by the secret string's UTF-8 bytes.</summary>
    public static string HexSha256(string secret, ReadOnlySpan<byte> body)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, mac);
        return Convert.ToHexStringLower(mac);
    }
}
