namespace Webhooks.AspNetCore.Models;

/// <summary>Succeeded and failed attempts per time bucket.</summary>
public sealed class WebhookStatsResponse
{
    /// <summary>The window's start.</summary>
    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>The window's end (now).</summary>
    public required DateTimeOffset WindowEnd { get; init; }

    /// <summary>The bucket width, in seconds.</summary>
    public required long BucketSeconds { get; init; }

    /// <summary>Attempts answered 2xx in the window.</summary>
    public required int Succeeded { get; init; }

    /// <summary>Attempts that failed in the window.</summary>
    public required int Failed { get; init; }

    /// <summary>The buckets, oldest first; every bucket of the window is present.</summary>
    public required IReadOnlyList<WebhookStatsBucketResponse> Buckets { get; init; }
}
