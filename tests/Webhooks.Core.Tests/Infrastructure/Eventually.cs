namespace Webhooks.Core.Tests.Infrastructure;

public static class Eventually
{
    /// <summary>Polls <paramref name="probe"/> until it returns a non-null value, or fails after the timeout.</summary>
    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await probe();
            if (value is not null)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Timed out waiting for " + what);
            }

            await Task.Delay(20);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> probe, string what, TimeSpan? timeout = null)
        => await GetAsync<object>(async () => await probe() ? new object() : null, what, timeout);
}
