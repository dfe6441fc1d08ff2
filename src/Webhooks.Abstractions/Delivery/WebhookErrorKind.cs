namespace Webhooks.Abstractions.Delivery;

/// <summary>The kinds of attempt failure.</summary>
public enum WebhookErrorKind
{
    /// <summary>No error: a 2xx answer.</summary>
    None,

    /// <summary>The receiver answered with a non-2xx status (3xx included: redirects are not followed).</summary>
    HttpStatus,

    /// <summary>The attempt took longer than the engine's attempt timeout.</summary>
    Timeout,

    /// <summary>DNS, TCP or TLS failed, or the connection was reset.</summary>
    ConnectionFailed,

    /// <summary>The request is not allowed: the target address (private network, blocked port), or headers that would inject lines.</summary>
    Blocked,

    /// <summary>The subscription was disabled or deleted before the attempt.</summary>
    SubscriptionUnavailable,

    /// <summary>The engine could not prepare or record the attempt (a signer, secret protector or store kept failing); the error says what.</summary>
    ProcessingFailed,
}
