namespace Webhooks.AspNetCore.Models;

/// <summary>What a test send did.</summary>
public sealed class WebhookTestResponse
{
    /// <summary>Whether the receiver answered 2xx.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>The HTTP status code, if the receiver answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>How long the request took, in milliseconds.</summary>
    public required double DurationMs { get; init; }

    /// <summary>The start of the receiver's answer (at most 4 KiB).</summary>
    public string? ResponseExcerpt { get; init; }

    /// <summary>What went wrong: <c>none</c>, <c>httpStatus</c>, <c>timeout</c>, <c>connectionFailed</c>, <c>blocked</c>, <c>processingFailed</c>.</summary>
    public required string ErrorKind { get; init; }

    /// <summary>A sentence describing the error, if any.</summary>
    public string? Error { get; init; }
}
