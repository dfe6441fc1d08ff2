using Xunit;

namespace Webhooks.Testing;

/// <summary>
/// What every store conformance suite shares: a fresh store per test, disposed after it, and a
/// fixed instant the tests build their data from (they never read the clock).
/// </summary>
/// <typeparam name="TStore">The store contract under test.</typeparam>
public abstract class StoreConformanceTests<TStore> : IAsyncLifetime
    where TStore : class
{
    /// <summary>A fixed instant on a whole hour, in UTC, that the tests build their data from.</summary>
    protected static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private TStore? _store;

    /// <summary>The store under test, created for the current test.</summary>
    protected TStore Store => _store ?? throw new InvalidOperationException("The store is created in InitializeAsync.");

    /// <summary>Returns an empty store for one test; called once before each test.</summary>
    /// <returns>The store.</returns>
    protected abstract Task<TStore> CreateStoreAsync();

    /// <summary>Creates the store for the test.</summary>
    /// <returns>A task.</returns>
    public virtual async Task InitializeAsync() => _store = await CreateStoreAsync().ConfigureAwait(false);

    /// <summary>Releases what the test used; disposes the store when it is disposable.</summary>
    /// <returns>A task.</returns>
    public virtual async Task DisposeAsync()
    {
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
}
