using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Webhooks.Core.Signing;
using Rfc8032 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Webhooks.Signing.Ed25519;

/// <summary>Standard Webhooks <c>v1a</c> signatures: ed25519 over <c>"{id}.{timestamp}.{body}"</c>, sent as <c>webhook-signature: v1a,&lt;base64&gt;</c>.</summary>
public static class Ed25519WebhookSignatures
{
    /// <summary>The scheme name subscriptions use to choose ed25519 (<see cref="Webhooks.Abstractions.Subscriptions.WebhookSubscription.SignatureScheme"/>).</summary>
    public const string Scheme = "standard-webhooks-ed25519";

    /// <summary>The version tag of asymmetric signatures in <c>webhook-signature</c>.</summary>
    public const string VersionTag = "v1a";

    /// <summary>Signs one message.</summary>
    /// <param name="key">A <c>whsk_</c> secret key, or a subscription's <c>whsec_</c> secret (its derived key pair signs).</param>
    /// <param name="messageId">The <c>webhook-id</c>.</param>
    /// <param name="timestamp">The <c>webhook-timestamp</c> in Unix seconds.</param>
    /// <param name="body">The exact body bytes.</param>
    /// <returns><c>v1a,&lt;base64 of the 64-byte signature&gt;</c>.</returns>
    public static string Sign(string key, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        var seed = Ed25519WebhookKeys.GetSeed(key);
        var message = SignedContent(messageId, timestamp, body);
        Span<byte> signature = stackalloc byte[64];
        Rfc8032.Sign(seed, message, signature);
        return VersionTag + "," + Convert.ToBase64String(signature);
    }

    internal static byte[] SignedContent(string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(messageId + "." + timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return content;
    }
}

/// <summary>Signs with <c>v1a</c>: one signature per secret (current and, during a rotation, previous), space-separated.</summary>
internal sealed class Ed25519WebhookSigner : IWebhookSigner
{
    public string Scheme => Ed25519WebhookSignatures.Scheme;

    public void Sign(WebhookSigningContext context, HttpRequestHeaders headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var timestamp = context.Timestamp.ToUnixTimeSeconds();
        var value = string.Join(' ', context.Secrets.Select(s => Ed25519WebhookSignatures.Sign(s, context.MessageId, timestamp, context.Body.Span)));
        headers.TryAddWithoutValidation(WebhookHeaders.Signature, value);
    }
}
