using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Webhooks.Core.Diagnostics;

/// <summary>
/// The library's metrics and spans, on the BCL primitives OpenTelemetry and dotnet-counters read.
/// Tags never carry a secret, a full URL, an owner or a subscription id (unbounded cardinality):
/// <c>server.address</c> is the host only.
/// </summary>
internal sealed class WebhookTelemetry : IDisposable
{
    internal static readonly ActivitySource Source = new(WebhookDiagnostics.ActivitySourceName);

    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _published;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _attemptDuration;
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _disabled;

    public WebhookTelemetry(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(WebhookDiagnostics.MeterName) ?? new Meter(WebhookDiagnostics.MeterName);
        _published = _meter.CreateCounter<long>("webhooks.messages.published", "{message}", "Messages published (duplicates by idempotency key not counted).");
        _attempts = _meter.CreateCounter<long>("webhooks.delivery.attempts", "{attempt}", "Delivery attempts sent, by outcome.");
        _attemptDuration = _meter.CreateHistogram("webhooks.delivery.attempt.duration", "s", "How long each attempt took, connect to last byte.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _latency = _meter.CreateHistogram<double>("webhooks.delivery.latency", "s", "From publish to successful delivery.");
        _disabled = _meter.CreateCounter<long>("webhooks.subscriptions.disabled", "{subscription}", "Subscriptions disabled by the engine, by reason.");
    }

    /// <summary>The meter, for instruments created elsewhere (the pending gauge).</summary>
    public Meter Meter => _meter;

    public void Published(string eventType) =>
        _published.Add(1, new KeyValuePair<string, object?>("webhook.event_type", eventType));

    public void Attempted(string eventType, WebhookAttempt attempt, WebhookDeliveryStatus after, string? serverAddress, DateTimeOffset? publishedAt, DateTimeOffset now)
    {
        var outcome = attempt.ErrorKind == WebhookErrorKind.Blocked ? "blocked"
            : attempt.Succeeded ? "succeeded"
            : after == WebhookDeliveryStatus.Pending ? "retrying"
            : "failed";
        var tags = new TagList
        {
            { "webhook.event_type", eventType },
            { "webhook.outcome", outcome },
        };
        if (attempt.StatusCode is { } code)
        {
            tags.Add("http.response.status_code", code);
        }
        else if (ErrorType(attempt.ErrorKind) is { } errorType)
        {
            tags.Add("error.type", errorType);
        }

        _attempts.Add(1, tags);

        var durationTags = new TagList { { "webhook.outcome", outcome } };
        if (attempt.StatusCode is { } status)
        {
            durationTags.Add("http.response.status_code", status);
        }

        if (serverAddress is not null)
        {
            durationTags.Add("server.address", serverAddress);
        }

        _attemptDuration.Record(attempt.Duration.TotalSeconds, durationTags);
        if (attempt.Succeeded && publishedAt is { } at && at != default)
        {
            _latency.Record(Math.Max(0, (now - at).TotalSeconds), new KeyValuePair<string, object?>("webhook.event_type", eventType));
        }
    }

    public void Disabled(string reason) =>
        _disabled.Add(1, new KeyValuePair<string, object?>("webhook.disable_reason", reason));

    /// <summary>The <c>error.type</c> of an attempt that got no answer, by the OpenTelemetry conventions' spirit: a short stable name.</summary>
    public static string? ErrorType(WebhookErrorKind kind) => kind switch
    {
        WebhookErrorKind.Timeout => "timeout",
        WebhookErrorKind.ConnectionFailed => "connection_failed",
        WebhookErrorKind.Blocked => "blocked",
        WebhookErrorKind.ProcessingFailed => "processing_failed",
        WebhookErrorKind.SubscriptionUnavailable => "subscription_unavailable",
        _ => null,
    };

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
