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

    private WebhookBacklog? _backlog;
    private long _backlogReadAt;
    private int _refreshing;

    public WebhookTelemetry(IMeterFactory? meterFactory, IWebhookDeliveryStore? store = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(WebhookDiagnostics.MeterName) ?? new Meter(WebhookDiagnostics.MeterName);
        _published = _meter.CreateCounter<long>("webhooks.messages.published", "{message}", "Messages published (duplicates by idempotency key not counted).");
        _attempts = _meter.CreateCounter<long>("webhooks.delivery.attempts", "{attempt}", "Delivery attempts sent, by outcome.");
        _attemptDuration = _meter.CreateHistogram("webhooks.delivery.attempt.duration", "s", "How long each attempt took, connect to last byte.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _latency = _meter.CreateHistogram<double>("webhooks.delivery.latency", "s", "From publish to successful delivery.");
        _disabled = _meter.CreateCounter<long>("webhooks.subscriptions.disabled", "{subscription}", "Subscriptions disabled by the engine, by reason.");
        if (store is IWebhookDeliveryBacklog backlog)
        {
            // Absent for stores that cannot count. The callback must not block a collector on a
            // database: it reports the last reading and refreshes it in the background when stale.
            _meter.CreateObservableGauge("webhooks.deliveries.pending", () => PendingNow(backlog), "{delivery}", "Deliveries waiting to be sent (due now or later, leased ones included).");
        }
    }

    private IEnumerable<Measurement<long>> PendingNow(IWebhookDeliveryBacklog backlog)
    {
        if (Stopwatch.GetElapsedTime(Volatile.Read(ref _backlogReadAt)) > TimeSpan.FromSeconds(5) && Interlocked.Exchange(ref _refreshing, 1) == 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    _backlog = await backlog.GetBacklogAsync(CancellationToken.None).ConfigureAwait(false);
                    Volatile.Write(ref _backlogReadAt, Stopwatch.GetTimestamp());
                }
                catch (Exception)
                {
                    // The store is unreachable: no reading this time (the health check reports it).
                }
                finally
                {
                    Volatile.Write(ref _refreshing, 0);
                }
            });
        }

        return _backlog is { } b ? [new Measurement<long>(b.Pending)] : [];
    }

    /// <summary>The meter, for instruments created elsewhere (the pending gauge).</summary>
    public Meter Meter => _meter;

    public void Published(string eventType)
    {
        if (_published.Enabled)
        {
            _published.Add(1, new KeyValuePair<string, object?>("webhook.event_type", eventType));
        }
    }

    /// <summary>Whether any attempt instrument has a listener (the caller may skip preparing the call).</summary>
    public bool AttemptsObserved => _attempts.Enabled || _attemptDuration.Enabled || _latency.Enabled;

    public void Attempted(string eventType, WebhookAttempt attempt, WebhookDeliveryStatus after, string? serverAddress, DateTimeOffset? publishedAt, DateTimeOffset now)
    {
        if (!AttemptsObserved)
        {
            return; // nobody listens: no tags to build
        }

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
