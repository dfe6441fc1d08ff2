namespace Webhooks.Abstractions.Delivery;

/// <summary>What one attempt did.</summary>
public sealed record WebhookAttempt
{
    /// <summary>1 for the first attempt.</summary>
    public required int Number { get; init; }

    /// <summary>When it started (engine's clock).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>How long it took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The HTTP status code, if the receiver answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>
    /// The start of the response body as text a person can read: at most 4 KiB, never a NUL or
    /// other control character (the engine replaces a binary body with a short description), so
    /// any text column can hold it.
    /// </summary>
    public string? ResponseExcerpt { get; init; }

    /// <summary>What went wrong, if anything.</summary>
    public WebhookErrorKind ErrorKind { get; init; }

    /// <summary>A sentence describing the error (never contains secrets).</summary>
    public string? Error { get; init; }

    /// <summary>Whether the receiver answered 2xx.</summary>
    public bool Succeeded => ErrorKind == WebhookErrorKind.None;
}
