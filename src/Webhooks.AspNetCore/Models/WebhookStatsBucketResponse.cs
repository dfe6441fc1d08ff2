namespace Webhooks.AspNetCore.Models;

/// <summary>Counts of one time bucket.</summary>
public sealed class WebhookStatsBucketResponse
{
    /// <summary>The bucket's start.</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>Attempts answered 2xx.</summary>
    public required int Succeeded { get; init; }

    /// <summary>Attempts that failed.</summary>
    public required int Failed { get; init; }
}
