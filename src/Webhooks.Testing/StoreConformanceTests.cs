using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// What every store conformance suite shares: a fresh store per test (disposed after it), fixed
/// instants for the times the engine hands a store (<see cref="T0"/>), a time limit on every test,
/// and the few timings a store author may tune.
/// </summary>
/// <typeparam name="TStore">The store contract under test.</typeparam>
/// <remarks>
/// Two kinds of time appear in the suites. Times the engine gives a store (a message's or a
/// delivery's <c>CreatedAt</c>, an attempt's <c>StartedAt</c>, an idempotency window's end) are
/// fixed instants built from <see cref="T0"/>: a store only keeps and compares them. Times a store
/// judges on its own clock (when a delivery is due, when a lease expires) are never passed in: the
/// tests use short real delays (<see cref="ShortLease"/>) and wait for them, each wait bounded by
/// <see cref="WaitLimit"/>. Every test also stops at <see cref="TestTimeout"/>: the token
/// <see cref="Cancellation"/> passed to every store call is cancelled then, and every loop in the
/// suites is capped by an iteration count and a deadline, so a broken store fails a test with a
/// message naming the rule it broke instead of hanging the run.
/// </remarks>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes it through IAsyncLifetime.DisposeAsync after every test.")]
public abstract class StoreConformanceTests<TStore> : IAsyncLifetime
    where TStore : class
{
    /// <summary>A fixed instant on a whole hour, in UTC, that the tests build engine-given times from.</summary>
    protected static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private TStore? _store;
    private CancellationTokenSource? _timeout;
    private long _started;

    /// <summary>The store under test, created for the current test.</summary>
    protected TStore Store => _store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    /// <summary>
    /// A lease duration and delay short enough to wait for: the tests that need a lease to expire or
    /// a delivery to become due later wait this long in real time. Raise it for a store whose clock
    /// is coarse (timestamps kept in whole seconds need at least two seconds); keep it well above
    /// <see cref="ClockTolerance"/>.
    /// </summary>
    /// <value>The default is 500 milliseconds.</value>
    protected virtual TimeSpan ShortLease => TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How much earlier than asked a store's clock may judge a delay over (its resolution): a
    /// delivery handed out sooner than its delay minus this is a broken rule.
    /// </summary>
    /// <value>The default is 50 milliseconds.</value>
    protected virtual TimeSpan ClockTolerance => TimeSpan.FromMilliseconds(50);

    /// <summary>How long past the expected moment a test keeps waiting for a delivery to become due before it fails.</summary>
    /// <value>The default is 5 seconds.</value>
    protected virtual TimeSpan WaitLimit => TimeSpan.FromSeconds(5);

    /// <summary>The longest a test may run; the <see cref="Cancellation"/> token is cancelled then.</summary>
    /// <value>The default is 30 seconds.</value>
    protected virtual TimeSpan TestTimeout => TimeSpan.FromSeconds(30);

    /// <summary>Passed to every store call; cancelled when the test has run for <see cref="TestTimeout"/>.</summary>
    protected CancellationToken Cancellation => _timeout?.Token ?? CancellationToken.None;

    /// <summary>How long the current test has been running.</summary>
    protected TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>Returns an empty store for one test; called once before each test.</summary>
    /// <returns>The store.</returns>
    protected abstract Task<TStore> CreateStoreAsync();

    /// <summary>Creates the store for the test and starts its time limit.</summary>
    /// <returns>A task.</returns>
    public virtual async Task InitializeAsync()
    {
        _started = Stopwatch.GetTimestamp();
        _timeout = new CancellationTokenSource(TestTimeout);
        _store = await CreateStoreAsync().ConfigureAwait(false);
    }

    /// <summary>Releases what the test used; disposes the store when it is disposable.</summary>
    /// <returns>A task.</returns>
    public virtual async Task DisposeAsync()
    {
        _timeout?.Dispose();
        switch (_store)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <summary>
    /// A deadline for a loop that waits on the store: the sooner of <paramref name="limit"/> from now
    /// and the test's own time limit.
    /// </summary>
    /// <param name="limit">How long the loop may run.</param>
    /// <returns>A stopwatch timestamp; compare with <see cref="Stopwatch.GetTimestamp"/>.</returns>
    protected long DeadlineAfter(TimeSpan limit)
    {
        var left = TestTimeout - Elapsed;
        var span = limit < left ? limit : left;
        return Stopwatch.GetTimestamp() + (long)(Math.Max(0, span.TotalSeconds) * Stopwatch.Frequency);
    }

    /// <summary>Whether a deadline from <see cref="DeadlineAfter"/> has passed.</summary>
    /// <param name="deadline">The deadline.</param>
    /// <returns><see langword="true"/> once it has passed.</returns>
    protected static bool IsPast(long deadline) => Stopwatch.GetTimestamp() >= deadline;

    /// <summary>
    /// Runs <paramref name="count"/> callers at the same moment on thread-pool threads (all wait for
    /// one start signal), and returns their results in caller order.
    /// </summary>
    /// <typeparam name="T">What each caller returns.</typeparam>
    /// <param name="count">How many callers.</param>
    /// <param name="caller">The work of caller <c>i</c>.</param>
    /// <returns>The results.</returns>
    protected static async Task<T[]> RunConcurrentlyAsync<T>(int count, Func<int, Task<T>> caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int waiting = count;
        var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            if (Interlocked.Decrement(ref waiting) == 0)
            {
                allReady.SetResult();
            }

            await start.Task.ConfigureAwait(false);
            return await caller(i).ConfigureAwait(false);
        })).ToArray();

        // Every caller is running and waiting before any starts, so they overlap as much as the machine allows.
        await allReady.Task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        start.SetResult();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }
}
