using System.Diagnostics;
using Webhooks.Core.Subscriptions;

namespace Webhooks.Core.Delivery;

/// <summary>
/// The deliveries of one lease call share their subscription reads: the first of them to need a
/// subscription starts the read and the others of the batch await the same one (single flight). Every
/// such read starts after the lease call returned, so an edit committed before the lease is always
/// seen, as when each attempt read its own; a read older than <see cref="MaxReadAge"/> is not shared
/// (a delivery that waited in the buffer reads again), and a failed read is not kept.
/// </summary>
internal sealed class WebhookLeaseBatch
{
    /// <summary>How long one read may serve the batch's later deliveries.</summary>
    internal static readonly TimeSpan MaxReadAge = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, (Task<WebhookSubscription?> Read, long StartedAt)> _reads = new(StringComparer.Ordinal);

    // The read last started, looked at without the lock: a batch is usually of one subscription.
    private SharedRead? _last;

    /// <summary>How many reads this batch started (tests).</summary>
    internal int Reads { get; private set; }

    /// <summary>The subscription, read once for the batch.</summary>
    public Task<WebhookSubscription?> GetAsync(ProtectedSubscriptionStore subscriptions, string id, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _last) is { } last && last.Id == id && IsShareable(last.Read, last.StartedAt))
        {
            return last.Read;
        }

        Task<WebhookSubscription?> read;
        lock (_reads)
        {
            if (_reads.TryGetValue(id, out var shared) && IsShareable(shared.Read, shared.StartedAt))
            {
                return shared.Read;
            }

            // Started under the lock so that one read serves every delivery that asks meanwhile; a store
            // call that completes synchronously (in memory) costs the lock no wait.
            read = subscriptions.GetAsync(id, cancellationToken);
            long startedAt = Stopwatch.GetTimestamp();
            _reads[id] = (read, startedAt);
            Volatile.Write(ref _last, new SharedRead(id, read, startedAt));
            Reads++;
        }

        return read;
    }

    private static bool IsShareable(Task<WebhookSubscription?> read, long startedAt)
        => !read.IsFaulted && !read.IsCanceled && Stopwatch.GetElapsedTime(startedAt) < MaxReadAge;

    private sealed record SharedRead(string Id, Task<WebhookSubscription?> Read, long StartedAt);
}
