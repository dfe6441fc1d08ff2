namespace Webhooks.Core.Delivery;

/// <summary>
/// Wakes this process's idle dispatcher at once. A publish in this process calls it; a durable
/// store calls it when another process enqueued work (PostgreSQL: on a <c>NOTIFY</c>). Polling
/// every <see cref="WebhookOptions.PollInterval"/> stays as the fallback. Resolve it from the
/// service provider; it is a singleton.
/// </summary>
public sealed class WebhookDispatchSignal
{
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal WebhookDispatchSignal()
    {
    }

    /// <summary>Wakes the dispatcher if it is waiting, or makes its next wait return at once. Safe to call from any thread, any number of times.</summary>
    public void Notify() => Volatile.Read(ref _signal).TrySetResult();

    internal async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _signal);
        if (!current.Task.IsCompleted)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(timeout, time, cts.Token);
            await Task.WhenAny(current.Task, delay).ConfigureAwait(false);
            await cts.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _signal, new(TaskCreationOptions.RunContinuationsAsynchronously), current);
        }
    }
}
