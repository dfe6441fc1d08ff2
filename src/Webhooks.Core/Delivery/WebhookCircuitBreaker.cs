using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Webhooks.Core.Delivery;

/// <summary>
/// Per-endpoint circuits, in this process: closed (send), open until a time (hold deliveries back
/// without consuming their retries), half-open (one probe at a time). Attempts count as failed
/// when the receiver answered 5xx or 429, timed out or could not be reached; a 4xx other than 429
/// and a refused target say nothing about the endpoint's availability.
/// </summary>
internal sealed partial class WebhookCircuitBreaker(IOptions<WebhookOptions> options, TimeProvider time, ILogger<WebhookCircuitBreaker> logger)
{
    private const int MaxTracked = 10_000;
    private readonly Dictionary<string, Circuit> _circuits = new(StringComparer.Ordinal);

    // How many circuits are open or half-open (changed under the lock): while none is, an attempt
    // passes without taking the lock every sender contends for.
    private int _notClosed;

    /// <summary>Whether an attempt to <paramref name="endpoint"/> may go now; when not, how long to hold the delivery back.</summary>
    public bool TryPass(string endpoint, out TimeSpan holdFor)
    {
        holdFor = TimeSpan.Zero;
        if (!options.Value.CircuitBreaker.Enabled || Volatile.Read(ref _notClosed) == 0)
        {
            return true;
        }

        lock (_circuits)
        {
            if (!_circuits.TryGetValue(endpoint, out var c) || c.OpenUntil is null)
            {
                return true;
            }

            var now = time.GetUtcNow();
            if (now < c.OpenUntil)
            {
                holdFor = c.OpenUntil.Value - now;
                return false;
            }

            if (c.ProbeInFlight)
            {
                holdFor = TimeSpan.FromSeconds(1); // the probe decides; look again shortly
                return false;
            }

            c.ProbeInFlight = true; // half-open: this attempt is the probe
            return true;
        }
    }

    /// <summary>Counts an attempt sent to <paramref name="endpoint"/>; returns the circuit's change, if any.</summary>
    public WebhookCircuitChange Record(string endpoint, WebhookAttempt attempt)
    {
        var o = options.Value.CircuitBreaker;
        if (!o.Enabled || attempt.ErrorKind is WebhookErrorKind.Blocked or WebhookErrorKind.ProcessingFailed or WebhookErrorKind.SubscriptionUnavailable)
        {
            return default;
        }

        bool failed = attempt.ErrorKind is WebhookErrorKind.Timeout or WebhookErrorKind.ConnectionFailed
            || attempt.StatusCode is >= 500 or 429;
        var now = time.GetUtcNow();
        lock (_circuits)
        {
            if (!_circuits.TryGetValue(endpoint, out var c))
            {
                if (_circuits.Count >= MaxTracked)
                {
                    Prune(now);
                }

                _circuits[endpoint] = c = new Circuit { WindowStart = now };
            }

            if (c.ProbeInFlight)
            {
                c.ProbeInFlight = false;
                if (!failed)
                {
                    _circuits.Remove(endpoint);
                    Volatile.Write(ref _notClosed, _notClosed - 1); // it was half-open
                    LogClosed(logger, endpoint);
                    return new WebhookCircuitChange(endpoint, Opened: false, Closed: true, OpenUntil: null);
                }

                c.Breaks++;
                return Open(endpoint, c, now, o);
            }

            if (now - c.WindowStart > o.SamplingWindow)
            {
                c.WindowStart = now;
                c.Attempts = 0;
                c.Failures = 0;
            }

            c.Attempts++;
            c.Failures += failed ? 1 : 0;
            if (c.OpenUntil is null && c.Attempts >= o.MinimumAttempts && c.Failures >= o.FailureRatio * c.Attempts)
            {
                return Open(endpoint, c, now, o);
            }

            return default;
        }
    }

    /// <summary>The circuit of the endpoint <paramref name="url"/> is sent to, as this process sees it now.</summary>
    public WebhookEndpointCircuit StateOf(string url)
    {
        var endpoint = EndpointOf(url);
        if (!options.Value.CircuitBreaker.Enabled)
        {
            return new WebhookEndpointCircuit(endpoint, WebhookCircuitState.Closed, null);
        }

        lock (_circuits)
        {
            if (!_circuits.TryGetValue(endpoint, out var c) || c.OpenUntil is not { } until)
            {
                return new WebhookEndpointCircuit(endpoint, WebhookCircuitState.Closed, null);
            }

            return time.GetUtcNow() < until
                ? new WebhookEndpointCircuit(endpoint, WebhookCircuitState.Open, until)
                : new WebhookEndpointCircuit(endpoint, WebhookCircuitState.HalfOpen, until);
        }
    }

    /// <summary>
    /// The endpoint a URL is sent to: scheme, host and port as the handler sees them (default port
    /// made explicit, host lower-cased, user info, path and query dropped), so every spelling of one
    /// endpoint shares one circuit and one in-flight cap.
    /// </summary>
    internal static string EndpointOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri)
        ? uri.GetComponents(UriComponents.Scheme | UriComponents.Host | UriComponents.StrongPort, UriFormat.UriEscaped).ToLowerInvariant()
        : url;

    private WebhookCircuitChange Open(string endpoint, Circuit c, DateTimeOffset now, WebhookCircuitBreakerOptions o)
    {
        var pause = TimeSpan.FromTicks(Math.Min(o.MaxBreakDuration.Ticks, o.BreakDuration.Ticks * (1L << Math.Min(c.Breaks, 20))));
        if (c.OpenUntil is null)
        {
            Volatile.Write(ref _notClosed, _notClosed + 1);
        }

        c.OpenUntil = now + pause;
        c.Attempts = 0;
        c.Failures = 0;
        c.WindowStart = now;
        LogOpened(logger, endpoint, pause.TotalSeconds);
        return new WebhookCircuitChange(endpoint, Opened: true, Closed: false, OpenUntil: c.OpenUntil);
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var key in _circuits.Where(p => p.Value.OpenUntil is null && now - p.Value.WindowStart > options.Value.CircuitBreaker.SamplingWindow).Select(p => p.Key).ToList())
        {
            _circuits.Remove(key);
        }
    }

    private sealed class Circuit
    {
        public DateTimeOffset WindowStart { get; set; }

        public int Attempts { get; set; }

        public int Failures { get; set; }

        public DateTimeOffset? OpenUntil { get; set; }

        public bool ProbeInFlight { get; set; }

        public int Breaks { get; set; }
    }

    [LoggerMessage(30, LogLevel.Warning, "Circuit to {Endpoint} opened: too many attempts failed; deliveries to it wait {BreakSeconds} s (their retries are not used up), then one probe is sent.")]
    private static partial void LogOpened(ILogger logger, string endpoint, double breakSeconds);

    [LoggerMessage(31, LogLevel.Information, "Circuit to {Endpoint} closed: the probe succeeded.")]
    private static partial void LogClosed(ILogger logger, string endpoint);
}

/// <summary>What an attempt changed in its endpoint's circuit.</summary>
internal readonly record struct WebhookCircuitChange(string? Endpoint, bool Opened, bool Closed, DateTimeOffset? OpenUntil);
