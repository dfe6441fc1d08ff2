using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Webhooks.Core.Signing;

/// <summary>
/// Checks webhook signatures on the receiving side: Standard Webhooks headers (from this library
/// or any Standard Webhooks sender) or the hex HMAC header. Comparisons are constant-time. Safe to
/// share between threads.
/// </summary>
public sealed class WebhookVerifier
{
    private readonly byte[][] _standardKeys;
    private readonly byte[][] _rawKeys;
    private readonly TimeProvider _time;

    /// <summary>Creates a verifier for one or more secrets (several during a rotation).</summary>
    /// <param name="secrets">The <c>whsec_…</c> secrets; a signature made with any of them is accepted.</param>
    /// <exception cref="ArgumentException">No secret, or one that is not <c>whsec_</c> + base64.</exception>
    public WebhookVerifier(params string[] secrets) : this(TimeProvider.System, secrets) { }

    /// <summary>Creates a verifier with a clock (for tests).</summary>
    /// <param name="timeProvider">The clock the timestamp is checked against.</param>
    /// <param name="secrets">The accepted secrets.</param>
    public WebhookVerifier(TimeProvider timeProvider, params string[] secrets)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(secrets);
        if (secrets.Length == 0)
        {
            throw new ArgumentException("Give at least one secret.", nameof(secrets));
        }

        _time = timeProvider;
        _standardKeys = secrets.Select(s => WebhookSecret.TryDecode(s) is { Length: > 0 } k ? k : throw new ArgumentException("A secret is not 'whsec_' followed by base64.", nameof(secrets))).ToArray();
        _rawKeys = secrets.Select(s => Encoding.UTF8.GetBytes(s)).ToArray();
    }

    /// <summary>How far the timestamp may be from now, in either direction.</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan Tolerance { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Verifies Standard Webhooks headers against the raw body.</summary>
    /// <param name="webhookId">The <c>webhook-id</c> header.</param>
    /// <param name="webhookTimestamp">The <c>webhook-timestamp</c> header.</param>
    /// <param name="webhookSignature">The <c>webhook-signature</c> header.</param>
    /// <param name="body">The exact body bytes received.</param>
    /// <returns>Whether it verified and, if not, why.</returns>
    public WebhookVerificationResult Verify(string? webhookId, string? webhookTimestamp, string? webhookSignature, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(webhookId) || string.IsNullOrEmpty(webhookTimestamp) || string.IsNullOrEmpty(webhookSignature))
        {
            return WebhookVerificationResult.Fail(WebhookVerificationFailure.MissingHeaders, "The webhook-id, webhook-timestamp and webhook-signature headers are all required.");
        }

        if (!long.TryParse(webhookTimestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
        {
            return WebhookVerificationResult.Fail(WebhookVerificationFailure.InvalidTimestamp, "webhook-timestamp is not Unix seconds.");
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (seconds < now - (long)Tolerance.TotalSeconds)
        {
            return WebhookVerificationResult.Fail(WebhookVerificationFailure.TimestampTooOld, "The message timestamp is too old (possible replay).");
        }

        if (seconds > now + (long)Tolerance.TotalSeconds)
        {
            return WebhookVerificationResult.Fail(WebhookVerificationFailure.TimestampTooNew, "The message timestamp is in the future.");
        }

        Span<byte> expected = stackalloc byte[32];
        Span<byte> given = stackalloc byte[64];
        bool sawV1 = false;
        foreach (var part in webhookSignature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!part.StartsWith("v1,", StringComparison.Ordinal))
            {
                continue;
            }

            sawV1 = true;
            if (!Convert.TryFromBase64String(part[3..], given, out var n) || n != 32)
            {
                continue;
            }

            foreach (var key in _standardKeys)
            {
                WebhookSignatures.ComputeStandard(key, webhookId, seconds, body, expected);
                if (CryptographicOperations.FixedTimeEquals(expected, given[..32]))
                {
                    return WebhookVerificationResult.Success;
                }
            }
        }

        return sawV1
            ? WebhookVerificationResult.Fail(WebhookVerificationFailure.NoMatchingSignature, "No signature matches the body with the given secret(s).")
            : WebhookVerificationResult.Fail(WebhookVerificationFailure.MalformedSignature, "webhook-signature holds no 'v1,<base64>' signature.");
    }

    /// <summary>Verifies a <c>sha256=&lt;hex&gt;</c> signature header (<see cref="WebhookSignatureSchemes.HmacSha256Hex"/>) against the raw body. This scheme carries no timestamp, so pair it with duplicate detection on <c>webhook-id</c>.</summary>
    /// <param name="signatureHeader">The header value; several space-separated signatures are allowed.</param>
    /// <param name="body">The exact body bytes received.</param>
    /// <returns>Whether it verified and, if not, why.</returns>
    public WebhookVerificationResult VerifyHmacSha256Hex(string? signatureHeader, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(signatureHeader))
        {
            return WebhookVerificationResult.Fail(WebhookVerificationFailure.MissingHeaders, "The signature header is missing.");
        }

        Span<byte> expected = stackalloc byte[32];
        Span<byte> given = stackalloc byte[32];
        bool sawAny = false;
        foreach (var part in signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!part.StartsWith("sha256=", StringComparison.Ordinal) || part.Length != 7 + 64
                || Convert.FromHexString(part.AsSpan(7), given, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
            {
                continue;
            }

            sawAny = true;
            foreach (var key in _rawKeys)
            {
                HMACSHA256.HashData(key, body, expected);
                if (CryptographicOperations.FixedTimeEquals(expected, given))
                {
                    return WebhookVerificationResult.Success;
                }
            }
        }

        return sawAny
            ? WebhookVerificationResult.Fail(WebhookVerificationFailure.NoMatchingSignature, "No signature matches the body with the given secret(s).")
            : WebhookVerificationResult.Fail(WebhookVerificationFailure.MalformedSignature, "The signature header holds no 'sha256=<64 hex digits>' signature.");
    }
}

/// <summary>Why a signature did not verify.</summary>
public enum WebhookVerificationFailure
{
    /// <summary>It verified.</summary>
    None,

    /// <summary>A required header is missing or empty.</summary>
    MissingHeaders,

    /// <summary>The timestamp header is not Unix seconds.</summary>
    InvalidTimestamp,

    /// <summary>The timestamp is older than the tolerance allows.</summary>
    TimestampTooOld,

    /// <summary>The timestamp is further in the future than the tolerance allows.</summary>
    TimestampTooNew,

    /// <summary>The signature header holds nothing in a known format.</summary>
    MalformedSignature,

    /// <summary>Well-formed signatures, none of which match.</summary>
    NoMatchingSignature,
}

/// <summary>The outcome of a verification.</summary>
/// <param name="IsValid">Whether the signature verified.</param>
/// <param name="Failure">Why not, when it did not.</param>
/// <param name="Message">A sentence for logs and 401 responses (never contains secrets).</param>
public sealed record WebhookVerificationResult(bool IsValid, WebhookVerificationFailure Failure, string? Message)
{
    /// <summary>A successful verification.</summary>
    public static WebhookVerificationResult Success { get; } = new(true, WebhookVerificationFailure.None, null);

    internal static WebhookVerificationResult Fail(WebhookVerificationFailure failure, string message) => new(false, failure, message);
}
