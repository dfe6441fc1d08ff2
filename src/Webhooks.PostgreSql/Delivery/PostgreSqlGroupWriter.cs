using Npgsql;

namespace Webhooks.PostgreSql.Delivery;

/// <summary>
/// Writes what concurrent callers hand in together as one statement and one commit (group commit):
/// the first call goes at once, calls arriving while a write runs gather and go together as the next
/// one, and each caller awaits its own result. Alone, a call costs what it did before (one statement);
/// under load, the statements, round trips and commits per item fall with the number waiting.
/// A batch the database refuses (a value it cannot hold) is written again one item at a time, so only
/// the item at fault fails its caller; any other failure (the connection) fails every caller of the
/// batch, which is what each would have seen alone. While calls keep coming, the batches go on one
/// connection held by the writer (its statements stay prepared, with their plans); it goes back to the
/// pool when the writer falls idle, or is replaced after a failure.
/// </summary>
/// <typeparam name="TItem">What one caller writes.</typeparam>
/// <typeparam name="TResult">What one caller gets back.</typeparam>
internal sealed class PostgreSqlGroupWriter<TItem, TResult>
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly Func<NpgsqlConnection, IReadOnlyList<TItem>, Task<TResult[]>> _writeBatch;
    private readonly Func<TItem, Task<TResult>> _writeOne;
    private readonly Func<TItem, string?> _key;
    private readonly Func<TItem, long> _weight;
    private readonly int _maxCount;
    private readonly long _maxWeight;
    private readonly Lock _gate = new();
    private List<PendingWrite> _pending = [];
    private bool _running;
    private long _batches;

    /// <param name="dataSource">Where the writer's connection comes from.</param>
    /// <param name="writeBatch">Writes two or more items in one statement on the given connection and returns their results in order; throws <see cref="PostgresException"/> when the database refuses it (nothing written).</param>
    /// <param name="writeOne">Writes one item alone (the statement a lone call uses, and the fallback of a refused batch).</param>
    /// <param name="key">Items with the same non-null key never share a batch (a later one goes in a later batch, in call order).</param>
    /// <param name="weight">An item's share of <paramref name="maxWeight"/> (say, its bytes).</param>
    /// <param name="maxCount">The most items in one batch.</param>
    /// <param name="maxWeight">The most weight in one batch (a heavier item still goes, alone).</param>
    public PostgreSqlGroupWriter(
        NpgsqlDataSource dataSource,
        Func<NpgsqlConnection, IReadOnlyList<TItem>, Task<TResult[]>> writeBatch,
        Func<TItem, Task<TResult>> writeOne,
        Func<TItem, string?> key,
        Func<TItem, long> weight,
        int maxCount,
        long maxWeight)
    {
        _dataSource = dataSource;
        _writeBatch = writeBatch;
        _writeOne = writeOne;
        _key = key;
        _weight = weight;
        _maxCount = maxCount;
        _maxWeight = maxWeight;
    }

    /// <summary>How many batches of two or more items were written in one statement (for tests and diagnostics).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Writes the item with whatever else is waiting; completes once the commit that holds it is done.</summary>
    public Task<TResult> WriteAsync(TItem item, CancellationToken cancellationToken)
    {
        var entry = new PendingWrite(item);
        bool start;
        lock (_gate)
        {
            _pending.Add(entry);
            start = !_running;
            _running = true;
        }

        if (start)
        {
            _ = Task.Run(RunAsync, CancellationToken.None);
        }

        // The write goes on if the caller stops waiting (as a statement already sent would).
        return entry.Completion.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        NpgsqlConnection? connection = null;
        try
        {
            while (true)
            {
                List<PendingWrite> batch;
                lock (_gate)
                {
                    if (_pending.Count == 0)
                    {
                        _running = false;
                        return;
                    }

                    batch = Take(keys);
                }

                connection = await WriteAsync(batch, connection).ConfigureAwait(false);
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Takes the next batch (in call order) off the pending list; called under the gate.</summary>
    private List<PendingWrite> Take(HashSet<string> keys)
    {
        keys.Clear();
        var batch = new List<PendingWrite>(Math.Min(_pending.Count, _maxCount));
        List<PendingWrite>? left = null;
        long weight = 0;
        foreach (var entry in _pending)
        {
            long w = _weight(entry.Item);
            bool fits = batch.Count < _maxCount && (batch.Count == 0 || weight + w <= _maxWeight);
            if (fits && (_key(entry.Item) is not { } key || keys.Add(key)))
            {
                batch.Add(entry);
                weight += w;
            }
            else
            {
                (left ??= []).Add(entry);
            }
        }

        _pending = left ?? [];
        return batch;
    }

    /// <summary>Writes one batch; returns the connection to use for the next (null after a failure: a new one is opened).</summary>
    private async Task<NpgsqlConnection?> WriteAsync(List<PendingWrite> batch, NpgsqlConnection? connection)
    {
        if (batch.Count == 1)
        {
            await WriteAloneAsync(batch[0]).ConfigureAwait(false);
            return connection;
        }

        TResult[] results;
        try
        {
            var items = new TItem[batch.Count];
            for (int i = 0; i < items.Length; i++)
            {
                items[i] = batch[i].Item;
            }

            connection ??= await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            results = await _writeBatch(connection, items).ConfigureAwait(false);
        }
        catch (PostgresException)
        {
            // Refused as a whole and rolled back: one at a time, so only the item at fault fails.
            await Task.WhenAll(batch.Select(WriteAloneAsync)).ConfigureAwait(false);
            return connection is { State: System.Data.ConnectionState.Open } ? connection : await DropAsync(connection).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            foreach (var entry in batch)
            {
                entry.Completion.TrySetException(ex);
            }

            return await DropAsync(connection).ConfigureAwait(false);
        }

        Interlocked.Increment(ref _batches);
        for (int i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }

        return connection;
    }

    private static async Task<NpgsqlConnection?> DropAsync(NpgsqlConnection? connection)
    {
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        return null;
    }

    private async Task WriteAloneAsync(PendingWrite entry)
    {
        try
        {
            entry.Completion.TrySetResult(await _writeOne(entry.Item).ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            entry.Completion.TrySetException(ex);
        }
    }

    private sealed class PendingWrite(TItem item)
    {
        public TItem Item { get; } = item;

        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
