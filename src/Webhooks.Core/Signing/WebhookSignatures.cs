using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Signing;

/// <summary>The HMAC computations shared by the signers and the verifier.</summary>
internal static class WebhookSignatures
{
    /// <summary>Base64 HMAC-SHA256 of "id.timestamp.body" keyed by the decoded secret, as Standard Webhooks defines.</summary>
    public static string StandardV1(string secret, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var encoded = secret.StartsWith(WebhookSecret.Prefix, StringComparison.Ordinal) ? secret.AsSpan(WebhookSecret.Prefix.Length) : secret.AsSpan();
        Span<byte> key = stackalloc byte[128];
        if (encoded.Length > 170 || !Convert.TryFromBase64Chars(encoded, key, out var keyLength))
        {
            throw new WebhookException("A signing secret is not 'whsec_' + base64 of at most 128 bytes; rotate the subscription's secret.");
        }

        Span<byte> mac = stackalloc byte[32];
        ComputeStandard(key[..keyLength], messageId, timestamp, body, mac);
        return Convert.ToBase64String(mac);
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
