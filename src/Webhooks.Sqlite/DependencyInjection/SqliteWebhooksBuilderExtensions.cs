using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.Core.DependencyInjection;
using Webhooks.Sqlite.Delivery;
using Webhooks.Sqlite.DependencyInjection;
using Webhooks.Sqlite.Schema;
using Webhooks.Sqlite.Subscriptions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps webhooks in a SQLite file.</summary>
public static class SqliteWebhooksBuilderExtensions
{
    /// <summary>
    /// Keeps subscriptions, the delivery queue and the delivery log in one SQLite file, so a
    /// single-instance app loses nothing when it stops or crashes, with nothing to install. Replaces
    /// the in-memory stores; creates or migrates the file's schema when the host starts. Due times
    /// and leases use the registered <see cref="TimeProvider"/>. For several app instances sharing one
    /// queue, use PostgreSQL instead. Calling it again replaces the earlier file.
    /// </summary>
    /// <param name="builder">The builder from <c>AddWebhooks()</c>.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string naming a file, such as <c>Data Source=webhooks.db</c>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The connection string is empty, malformed, or names an in-memory database.</exception>
    public static IWebhooksBuilder UseSqlite(this IWebhooksBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        SqliteConnectionStringBuilder parsed;
        try
        {
            parsed = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The webhooks SQLite connection string is malformed ({ex.Message}); use the form Data Source=webhooks.db.", nameof(connectionString), ex);
        }

        if (parsed.Mode == SqliteOpenMode.Memory || parsed.DataSource is "" or ":memory:")
        {
            throw new ArgumentException("The webhooks SQLite store needs a file (Data Source=webhooks.db): an in-memory database is lost with its last connection. Use AddWebhooks() alone for in-memory stores.", nameof(connectionString));
        }

        var services = builder.Services;
        services.RemoveAll<SqliteWebhookDatabase>();
        services.AddSingleton(sp => new SqliteWebhookDatabase(connectionString, sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.Replace(ServiceDescriptor.Singleton<IWebhookSubscriptionStore>(sp => new SqliteWebhookSubscriptionStore(sp.GetRequiredService<SqliteWebhookDatabase>())));

        // One instance; the engine finds the log, administration, statistics and retention on it by type.
        services.Replace(ServiceDescriptor.Singleton<IWebhookDeliveryStore>(sp => new SqliteWebhookDeliveryStore(sp.GetRequiredService<SqliteWebhookDatabase>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SqliteSchemaInitializer>());
        return builder;
    }
}
