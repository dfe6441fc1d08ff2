namespace Webhooks.AspNetCore.Models;

/// <summary>One attempt of a delivery.</summary>
public sealed class WebhookAttemptResponse
{
    /// <summary>1 for the first attempt.</summary>
    public required int Number { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>How long it took, in milliseconds.</summary>
    public required double DurationMs { get; init; }

    /// <summary>The HTTP status code, if the receiver answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The start of the receiver's answer (at most 4 KiB).</summary>
    public string? ResponseExcerpt { get; init; }

    /// <summary>Whether the receiver answered 2xx.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>What went wrong: <c>none</c>, <c>httpStatus</c>, <c>timeout</c>, <c>connectionFailed</c>, <c>blocked</c>, <c>subscriptionUnavailable</c>, <c>processingFailed</c>.</summary>
    public required string ErrorKind { get; init; }

    /// <summary>A sentence describing the error, if any.</summary>
    public string? Error { get; init; }
}
