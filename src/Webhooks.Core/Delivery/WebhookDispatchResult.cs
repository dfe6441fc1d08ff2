namespace Webhooks.Core.Delivery;

/// <summary>What one <see cref="IWebhookDispatcher.DispatchAsync"/> call did.</summary>
public sealed class WebhookDispatchResult
{
    /// <summary>Deliveries leased.</summary>
    public int Leased { get; init; }

    /// <summary>Attempts sent and recorded (<see cref="Succeeded"/> + <see cref="Retrying"/> + <see cref="Failed"/>).</summary>
    public int Sent => Succeeded + Retrying + Failed;

    /// <summary>Attempts answered 2xx.</summary>
    public int Succeeded { get; init; }

    /// <summary>Attempts that failed and will be retried.</summary>
    public int Retrying { get; init; }

    /// <summary>Deliveries given up (attempts exhausted, 410 Gone, a refused target or a delivery that cannot be prepared).</summary>
    public int Failed { get; init; }

    /// <summary>Deliveries finished without sending: their subscription was deleted or disabled.</summary>
    public int NotSent { get; init; }

    /// <summary>Leases handed back unsent (not started before the time limit, a busy receiver, a lease too short, cancellation); they are due again.</summary>
    public int Released { get; init; }

    /// <summary>Leases another dispatcher took over meanwhile.</summary>
    public int LeaseLost { get; init; }

    /// <summary>Whether deliveries may still be due: the call stopped for its time limit or cancellation, or handed leases back, rather than finding nothing due.</summary>
    public bool MoreDue { get; init; }

    /// <summary>How long the call ran.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"leased {Leased}, sent {Sent} (succeeded {Succeeded}, retrying {Retrying}, failed {Failed}), not sent {NotSent}, released {Released}, lease lost {LeaseLost}, more due {MoreDue}, in {Elapsed.TotalSeconds:0.###} s";
}
