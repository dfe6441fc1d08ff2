namespace Webhooks.Core.Delivery;

/// <summary>
/// The per-endpoint circuit breaker (<c>Webhooks:CircuitBreaker</c>): when attempts to one endpoint
/// (scheme, host, port) fail at a high rate, sending to it pauses for a break, then one probe goes
/// through; a success closes it. Deliveries wait meanwhile; the break consumes no retry.
/// </summary>
public sealed class WebhookCircuitBreakerOptions
{
    /// <summary>Whether endpoints are broken off when they keep failing.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Attempts within <see cref="SamplingWindow"/> before the failure ratio is judged.</summary>
    /// <value>The default value is 10.</value>
    public int MinimumAttempts { get; set; } = 10;

    /// <summary>The share of failed attempts within <see cref="SamplingWindow"/> that opens the circuit.</summary>
    /// <value>The default value is 0.5.</value>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>How far back attempts are counted.</summary>
    /// <value>The default value is 1 minute.</value>
    public TimeSpan SamplingWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The first break; each break after a failed probe doubles, up to <see cref="MaxBreakDuration"/>.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest break.</summary>
    /// <value>The default value is 10 minutes.</value>
    public TimeSpan MaxBreakDuration { get; set; } = TimeSpan.FromMinutes(10);
}
