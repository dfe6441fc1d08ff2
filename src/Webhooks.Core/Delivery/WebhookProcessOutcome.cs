namespace Webhooks.Core.Delivery;

/// <summary>What processing one lease came to.</summary>
internal enum WebhookProcessOutcome
{
    /// <summary>Sent, answered 2xx, recorded.</summary>
    Succeeded,

    /// <summary>Sent, failed, recorded; due again later.</summary>
    Retrying,

    /// <summary>Sent (or could not be prepared), given up, recorded.</summary>
    Failed,

    /// <summary>Finished without sending: the subscription was deleted or disabled.</summary>
    NotSent,

    /// <summary>Handed back unsent: the lease was too short, the receiver busy, shutdown, or processing failed for now.</summary>
    Released,

    /// <summary>Another dispatcher took the delivery over meanwhile; nothing was recorded here.</summary>
    LeaseLost,
}
