using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Webhooks.Core;
using Webhooks.Core.Signing;

namespace Webhooks.AspNetCore.Receiving;

/// <summary>
/// Runs before the endpoint's handler (and before its parameters are bound): reads the body once
/// (bounded), verifies the signature, refuses replays, then hands the body on rewound.
/// </summary>
internal sealed partial class WebhookSignatureCheck
{
    internal const string ProblemTypeBase = "urn:webhooks-core:receiver:";
    private const string IdHeader = "webhook-id";
    private const string TimestampHeader = "webhook-timestamp";
    private const string SignatureHeader = "webhook-signature";
    private const long MaxBodySizeLimit = 256L * 1024 * 1024;

    private readonly WebhookReceiverOptions _options;
    private readonly string[]? _secrets;
    private readonly Lock _gate = new();
    private (TimeProvider Time, WebhookVerifier Verifier)? _staticVerifier;
    private InMemoryWebhookReplayCache? _defaultCache;

    public WebhookSignatureCheck(WebhookReceiverOptions options)
    {
        _options = options;
        var failures = new List<string>();
        if (options.Tolerance <= TimeSpan.Zero || options.Tolerance > TimeSpan.FromDays(1))
        {
            failures.Add($"Tolerance is {options.Tolerance}; use more than zero and at most one day (the default, 5 minutes, suits most senders).");
        }

        if (options.MaxBodySize is < 1 or > MaxBodySizeLimit)
        {
            failures.Add($"MaxBodySize is {options.MaxBodySize}; use 1 to {MaxBodySizeLimit} bytes (the default is 1048576; the body is held in memory while it is verified).");
        }

        if (options.ReplayCacheCapacity < 1)
        {
            failures.Add($"ReplayCacheCapacity is {options.ReplayCacheCapacity}; use at least 1.");
        }

        if (options.AcceptHmacSha256Hex && string.IsNullOrWhiteSpace(options.HmacSignatureHeader))
        {
            failures.Add("HmacSignatureHeader must name a header when AcceptHmacSha256Hex is on.");
        }

        if (options.SecretResolver is null)
        {
            _secrets = [.. options.Secrets];
            if (_secrets.Length == 0)
            {
                failures.Add("Give at least one 'whsec_' secret, or a SecretResolver that returns them per request.");
            }
            else if (!AreValid(_secrets))
            {
                failures.Add("A secret is not 'whsec_' followed by base64 (24 to 64 bytes is usual); copy it as the sender shows it.");
            }
        }

        if (failures.Count > 0)
        {
            throw new WebhookException("RequireWebhookSignature: " + string.Join(" ", failures));
        }
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (request.ContentLength > _options.MaxBodySize)
        {
            await TooLarge(context).ConfigureAwait(false);
            return;
        }

        var read = await ReadBodyAsync(context).ConfigureAwait(false);
        if (read is not { } body)
        {
            await TooLarge(context).ConfigureAwait(false);
            return;
        }

        var time = context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
        var verifier = GetVerifier(context, time);
        string id = request.Headers[IdHeader].ToString();
        string timestampText = request.Headers[TimestampHeader].ToString();
        string signature = request.Headers[SignatureHeader].ToString();
        DateTimeOffset? timestamp = null;
        string scheme;
        WebhookVerificationResult result;
        if (signature.Length == 0 && _options.AcceptHmacSha256Hex && request.Headers.ContainsKey(_options.HmacSignatureHeader))
        {
            scheme = "sha256";
            result = id.Length == 0 && _options.PreventReplays
                ? Missing(IdHeader + " (replay protection needs it)")
                : verifier.VerifyHmacSha256Hex(request.Headers[_options.HmacSignatureHeader].ToString(), body.AsSpan());
        }
        else
        {
            scheme = "v1";
            var missing = new[] { (IdHeader, id), (TimestampHeader, timestampText), (SignatureHeader, signature) }
                .Where(h => h.Item2.Length == 0).Select(h => h.Item1).ToArray();
            result = missing.Length > 0 ? Missing(string.Join(", ", missing)) : verifier.Verify(id, timestampText, signature, body.AsSpan());
            if (result.IsValid)
            {
                timestamp = DateTimeOffset.FromUnixTimeSeconds(long.Parse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture));
            }
        }

        if (!result.IsValid)
        {
            var logger = Logger(context);
            LogRejected(logger, result.Failure);
            await Unauthorized(context, result).ConfigureAwait(false);
            return;
        }

        IWebhookReplayCache? cache = null;
        if (_options.PreventReplays && id.Length > 0)
        {
            cache = context.RequestServices.GetService<IWebhookReplayCache>() ?? DefaultCache(time);
            var expiresAt = (timestamp ?? time.GetUtcNow()) + _options.Tolerance;
            if (!await cache.TryAddAsync(id, expiresAt, context.RequestAborted).ConfigureAwait(false))
            {
                var logger = Logger(context);
                LogReplay(logger);
                await Problem(context, StatusCodes.Status409Conflict, "replayed", "Webhook already received.",
                    "A message with this webhook-id was already accepted (or is being handled); a replay is refused. A sender retries with the same id only after a failed attempt, which is forgotten.").ConfigureAwait(false);
                return;
            }
        }

        context.Features.Set(new VerifiedWebhook(id, timestamp, body.AsMemory(), scheme));
        request.Body = new MemoryStream(body.Array!, body.Offset, body.Count, writable: false);
        var succeeded = false;
        try
        {
            await next(context).ConfigureAwait(false);
            succeeded = context.Response.StatusCode is >= 200 and < 300;
        }
        finally
        {
            if (cache is not null && !succeeded)
            {
                // The handler did not accept it: the sender will retry with the same id, and that retry must get through.
                await cache.RemoveAsync(id, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private WebhookVerifier GetVerifier(HttpContext context, TimeProvider time)
    {
        if (_secrets is not null)
        {
            var cached = _staticVerifier;
            if (cached is { } c && ReferenceEquals(c.Time, time))
            {
                return c.Verifier;
            }

            var created = new WebhookVerifier(time, _secrets) { Tolerance = _options.Tolerance };
            _staticVerifier = (time, created);
            return created;
        }

        var secrets = _options.SecretResolver!(context)?.ToArray() ?? [];
        if (secrets.Length == 0 || !AreValid(secrets))
        {
            throw new WebhookException("RequireWebhookSignature: the SecretResolver returned no secret, or one that is not 'whsec_' followed by base64. Return the secrets the sender signs with.");
        }

        return new WebhookVerifier(time, secrets) { Tolerance = _options.Tolerance };
    }

    private InMemoryWebhookReplayCache DefaultCache(TimeProvider time)
    {
        lock (_gate)
        {
            return _defaultCache ??= new InMemoryWebhookReplayCache(time, _options.ReplayCacheCapacity);
        }
    }

    /// <summary>Reads the body into one buffer, or returns null as soon as it passes the limit.</summary>
    private async Task<ArraySegment<byte>?> ReadBodyAsync(HttpContext context)
    {
        var limit = _options.MaxBodySize;
        var length = context.Request.ContentLength;
        var buffer = new byte[length is long l ? Math.Max(l, 1) : Math.Min(limit + 1, 16 * 1024)];
        var count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    if (count > limit)
                    {
                        return null;
                    }

                    Array.Resize(ref buffer, (int)Math.Min(Math.Max(buffer.Length * 2L, 1), limit + 1));
                }

                var n = await context.Request.Body.ReadAsync(buffer.AsMemory(count), context.RequestAborted).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                count += n;
                if (count > limit)
                {
                    return null;
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        return new ArraySegment<byte>(buffer, 0, count);
    }

    private static bool AreValid(string[] secrets)
    {
        try
        {
            _ = new WebhookVerifier(secrets);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static WebhookVerificationResult Missing(string headers) =>
        new(false, WebhookVerificationFailure.MissingHeaders, $"The request has no {headers} header; a signed webhook carries webhook-id, webhook-timestamp and webhook-signature.");

    private Task TooLarge(HttpContext context) =>
        Problem(context, StatusCodes.Status413PayloadTooLarge, "body-too-large", "Webhook body too large.",
            $"The body is over the {_options.MaxBodySize}-byte limit of this receiver (WebhookReceiverOptions.MaxBodySize).");

    private static Task Unauthorized(HttpContext context, WebhookVerificationResult result)
    {
        var (slug, title) = result.Failure switch
        {
            WebhookVerificationFailure.MissingHeaders => ("missing-signature", "Webhook signature missing."),
            WebhookVerificationFailure.InvalidTimestamp => ("invalid-timestamp", "Webhook timestamp invalid."),
            WebhookVerificationFailure.TimestampTooOld => ("timestamp-too-old", "Webhook timestamp too old."),
            WebhookVerificationFailure.TimestampTooNew => ("timestamp-too-new", "Webhook timestamp in the future."),
            WebhookVerificationFailure.MalformedSignature => ("malformed-signature", "Webhook signature malformed."),
            _ => ("invalid-signature", "Webhook signature invalid."),
        };
        return Problem(context, StatusCodes.Status401Unauthorized, slug, title, result.Message ?? title);
    }

    private static Task Problem(HttpContext context, int status, string slug, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: ProblemTypeBase + slug).ExecuteAsync(context);

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("Webhooks.AspNetCore.Receiving") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Webhook refused: {Failure}.")]
    private static partial void LogRejected(ILogger logger, WebhookVerificationFailure failure);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Webhook refused: its webhook-id was already accepted (replay).")]
    private static partial void LogReplay(ILogger logger);
}
