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
        var key = WebhookSecret.TryDecode(secret) ?? throw new WebhookException("A signing secret is not 'whsec_' + base64; rotate the subscription's secret.");
        Span<byte> mac = stackalloc byte[32];
        ComputeStandard(key, messageId, timestamp, body, mac);
        return Convert.ToBase64String(mac);
    }

    public static void ComputeStandard(ReadOnlySpan<byte> key, string messageId, long timestamp, ReadOnlySpan<byte> body, Span<byte> mac)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        Span<byte> prefix = stackalloc byte[256];
        var idBytes = Encoding.UTF8.GetByteCount(messageId);
        byte[]? rented = null;
        if (idBytes + 24 > prefix.Length)
        {
            prefix = rented = ArrayPool<byte>.Shared.Rent(idBytes + 24);
        }

        int n = Encoding.UTF8.GetBytes(messageId, prefix);
        prefix[n++] = (byte)'.';
        timestamp.TryFormat(prefix[n..], out var w, default, CultureInfo.InvariantCulture);
        n += w;
        prefix[n++] = (byte)'.';
        hmac.AppendData(prefix[..n]);
        hmac.AppendData(body);
        hmac.GetHashAndReset(mac);
        if (rented is not null)
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
