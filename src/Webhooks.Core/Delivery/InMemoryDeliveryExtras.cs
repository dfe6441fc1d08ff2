namespace Webhooks.Core.Delivery;

/// <summary>What a fresh delivery of the engine's making does not have, kept out of its entry until it does.</summary>
internal sealed class InMemoryDeliveryExtras
{
    /// <summary>The id, when it is not of the shape the entry keeps as a number.</summary>
    public string? TextId { get; set; }

    public string? OrderingKey { get; set; }

    /// <summary>The order within its line (subscription, ordering key).</summary>
    public long EnqueueSeq { get; set; }

    /// <summary>The creation time (UTC) when it differs from the message's.</summary>
    public DateTimeOffset? CreatedAt { get; set; }

    public int InitialAttemptCount { get; set; }

    /// <summary>Whether the last completion sent nothing and left <see cref="LastError"/> as its reason.</summary>
    public bool ErrorSet { get; set; }

    public string? LastError { get; set; }

    /// <summary>null, one <see cref="WebhookAttempt"/>, or a <see cref="List{T}"/> of them in order.</summary>
    public object? Attempts { get; set; }
}
