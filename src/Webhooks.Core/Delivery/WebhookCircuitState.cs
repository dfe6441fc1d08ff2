namespace Webhooks.Core.Delivery;

/// <summary>The state of an endpoint's circuit (see <see cref="WebhookOptions.CircuitBreaker"/>).</summary>
public enum WebhookCircuitState
{
    /// <summary>Deliveries are sent.</summary>
    Closed,

    /// <summary>Attempts failed at a high rate: deliveries wait until the break ends, their retries untouched.</summary>
    Open,

    /// <summary>The break is over: the next attempt is a probe, and its outcome closes or reopens the circuit.</summary>
    HalfOpen,
}
