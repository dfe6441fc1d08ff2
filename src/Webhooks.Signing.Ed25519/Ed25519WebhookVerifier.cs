using System.Globalization;
using Webhooks.Core.Signing;
using Rfc8032 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Webhooks.Signing.Ed25519;

/// <summary>
/// Checks Standard Webhooks <c>v1a</c> (ed25519) signatures on the receiving side with public keys
/// only. Same headers, timestamp tolerance and result type as <see cref="WebhookVerifier"/>. Safe to
/// share between threads. Pair it with duplicate detection on <c>webhook-id</c> to stop replays
/// within the tolerance.
/// </summary>
public sealed class Ed25519WebhookVerifier
{
    private readonly byte[][] _publicKeys;
    private readonly TimeProvider _time;

    /// <summary>Creates a verifier for one or more public keys (several during a rotation).</summary>
    /// <param name="publicKeys">The <c>whpk_…</c> keys; a signature made with any matching secret key is accepted.</param>
    /// <exception cref="ArgumentException">No key, or one that is not <c>whpk_</c> + base64 of 32 bytes.</exception>
    public Ed25519WebhookVerifier(params string[] publicKeys) : this(TimeProvider.System, publicKeys) { }

    /// <summary>Creates a verifier with a clock (for tests).</summary>
    /// <param name="timeProvider">The clock the timestamp is checked against.</param>
    /// <param name="publicKeys">The accepted <c>whpk_…</c> keys.</param>
    public Ed25519WebhookVerifier(TimeProvider timeProvider, params string[] publicKeys)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(publicKeys);
        if (publicKeys.Length == 0)
        {
            throw new ArgumentException("Give at least one public key (whpk_…).", nameof(publicKeys));
        }

        _time = timeProvider;
        _publicKeys = [.. publicKeys.Select(Ed25519WebhookKeys.ParsePublicKey)];
    }

    /// <summary>How far the timestamp may be from now, in either direction.</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan Tolerance { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Verifies the headers against the raw body.</summary>
    /// <param name="webhookId">The <c>webhook-id</c> header.</param>
    /// <param name="webhookTimestamp">The <c>webhook-timestamp</c> header.</param>
    /// <param name="webhookSignature">The <c>webhook-signature</c> header (its <c>v1a,</c> entries are checked; others are ignored).</param>
    /// <param name="body">The exact body bytes received.</param>
    /// <returns>Whether it verified and, if not, why.</returns>
    public WebhookVerificationResult Verify(string? webhookId, string? webhookTimestamp, string? webhookSignature, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(webhookId) || string.IsNullOrEmpty(webhookTimestamp) || string.IsNullOrEmpty(webhookSignature))
        {
            return Fail(WebhookVerificationFailure.MissingHeaders, "The webhook-id, webhook-timestamp and webhook-signature headers are all required.");
        }

        if (!long.TryParse(webhookTimestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
        {
            return Fail(WebhookVerificationFailure.InvalidTimestamp, "webhook-timestamp is not Unix seconds.");
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (seconds < now - (long)Tolerance.TotalSeconds)
        {
            return Fail(WebhookVerificationFailure.TimestampTooOld, "The message timestamp is too old (possible replay).");
        }

        if (seconds > now + (long)Tolerance.TotalSeconds)
        {
            return Fail(WebhookVerificationFailure.TimestampTooNew, "The message timestamp is in the future.");
        }

        byte[]? content = null;
        Span<byte> signature = stackalloc byte[64];
        bool sawV1a = false;
        foreach (var part in webhookSignature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!part.StartsWith(Ed25519WebhookSignatures.VersionTag + ",", StringComparison.Ordinal))
            {
                continue;
            }

            sawV1a = true;
            if (!Convert.TryFromBase64String(part[4..], signature, out var n) || n != 64)
            {
                continue;
            }

            content ??= Ed25519WebhookSignatures.SignedContent(webhookId, seconds, body);
            foreach (var key in _publicKeys)
            {
                if (Rfc8032.Verify(signature, key, content))
                {
                    return WebhookVerificationResult.Success;
                }
            }
        }

        return sawV1a
            ? Fail(WebhookVerificationFailure.NoMatchingSignature, "No v1a signature matches the body with the given public key(s).")
            : Fail(WebhookVerificationFailure.MalformedSignature, "webhook-signature holds no 'v1a,<base64>' signature.");
    }

    private static WebhookVerificationResult Fail(WebhookVerificationFailure failure, string message) => new(false, failure, message);
}
