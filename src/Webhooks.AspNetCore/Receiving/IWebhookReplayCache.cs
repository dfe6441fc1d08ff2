namespace Webhooks.AspNetCore.Receiving;

/// <summary>
/// Remembers the <c>webhook-id</c>s a receiver accepted, so a captured message cannot be replayed
/// within the tolerance window. The default is in memory, per endpoint and per process; a receiver
/// that runs on several instances registers one backed by a shared store (Redis <c>SET NX PX</c>, a
/// database table with a unique key) as a singleton.
/// </summary>
public interface IWebhookReplayCache
{
    /// <summary>Records <paramref name="webhookId"/> unless it is already recorded and not yet expired. Must be atomic.</summary>
    /// <param name="webhookId">The message id.</param>
    /// <param name="expiresAt">When the id may be forgotten (its timestamp plus the tolerance).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> if the id was new; <see langword="false"/> if it is a replay.</returns>
    Task<bool> TryAddAsync(string webhookId, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Forgets <paramref name="webhookId"/>: its handler failed, so the sender's retry must get through.</summary>
    /// <param name="webhookId">The message id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the id is forgotten.</returns>
    Task RemoveAsync(string webhookId, CancellationToken cancellationToken);
}
