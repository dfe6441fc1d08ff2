using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.Core.DependencyInjection;
using Webhooks.PostgreSql;
using Webhooks.PostgreSql.Delivery;
using Webhooks.PostgreSql.DependencyInjection;
using Webhooks.PostgreSql.Schema;
using Webhooks.PostgreSql.Subscriptions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps webhooks in PostgreSQL.</summary>
public static class PostgreSqlWebhooksBuilderExtensions
{
    /// <summary>
    /// Keeps subscriptions and the delivery queue in PostgreSQL, so several app instances share them
    /// and a crash loses nothing. Replaces the in-memory stores, creates or migrates the schema when
    /// the host starts, and listens for new work (see <see cref="PostgreSqlWebhookOptions"/>). The
    /// delivery store also keeps the log, administration, statistics and retention capabilities.
    /// </summary>
    /// <param name="builder">The builder from <c>AddWebhooks()</c>.</param>
    /// <param name="connectionString">An Npgsql connection string, such as <c>Host=db;Database=app;Username=app;Password=…</c>.</param>
    /// <param name="configure">Changes the PostgreSQL settings.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The connection string is empty or malformed.</exception>
    public static IWebhooksBuilder UsePostgreSql(this IWebhooksBuilder builder, string connectionString, Action<PostgreSqlWebhookOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The webhooks PostgreSQL connection string is malformed ({ex.Message}); use the Npgsql form Host=…;Database=…;Username=…;Password=….", nameof(connectionString), ex);
        }

        return builder.UsePostgreSqlCore(_ => CreateDataSource(connectionString), ownsDataSource: true, configure);
    }

    /// <summary>
    /// The data source for a connection string: the statements run on every publish and attempt are
    /// prepared on each connection after a few uses (Npgsql's <c>Max Auto Prepare</c>, 32 unless the
    /// connection string sets it), which saves their parsing and planning each time. Only webhooks use
    /// this data source, and they leave no session state on a connection they hand back (no <c>SET</c>,
    /// no session advisory lock, no temporary table; the listener <c>UNLISTEN</c>s before it returns its
    /// connection), so a returned connection is not reset (<c>No Reset On Close</c>, unless the connection
    /// string sets it): the reset would cost three or four statements on the next use of every connection.
    /// </summary>
    private static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        if (settings.MaxAutoPrepare == 0)
        {
            settings.MaxAutoPrepare = 32;
        }

        if (!HasKey(connectionString, "No Reset On Close", "NoResetOnClose"))
        {
            settings.NoResetOnClose = true;
        }

        return builder.Build();
    }

    private static bool HasKey(string connectionString, params string[] keys)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return keys.Any(given.ContainsKey);
    }

    /// <summary>
    /// Keeps subscriptions and the delivery queue in PostgreSQL through the app's own data source
    /// (its pooling, logging and authentication settings apply). The data source is not disposed by webhooks.
    /// </summary>
    /// <param name="builder">The builder from <c>AddWebhooks()</c>.</param>
    /// <param name="dataSource">The data source.</param>
    /// <param name="configure">Changes the PostgreSQL settings.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder UsePostgreSql(this IWebhooksBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlWebhookOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return builder.UsePostgreSqlCore(_ => dataSource, ownsDataSource: false, configure);
    }

    private static IWebhooksBuilder UsePostgreSqlCore(this IWebhooksBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSource, bool ownsDataSource, Action<PostgreSqlWebhookOptions>? configure)
    {
        var services = builder.Services;
        services.AddOptions<PostgreSqlWebhookOptions>().ValidateOnStart();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlWebhookOptions>, PostgreSqlWebhookOptionsValidator>());

        // Called again (say, with another connection string): the last call wins.
        services.RemoveAll<PostgreSqlWebhookDatabase>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PostgreSqlWebhookOptions>>();
            if (PostgreSqlWebhookOptionsValidator.SchemaError(options.Value.Schema) is { } error)
            {
                throw new OptionsValidationException(nameof(PostgreSqlWebhookOptions), typeof(PostgreSqlWebhookOptions), [error]);
            }

            return new PostgreSqlWebhookDatabase(dataSource(sp), ownsDataSource, options, sp.GetRequiredService<ILogger<PostgreSqlWebhookDatabase>>());
        });
        services.Replace(ServiceDescriptor.Singleton<IWebhookSubscriptionStore, PostgreSqlWebhookSubscriptionStore>());
        services.Replace(ServiceDescriptor.Singleton<IWebhookDeliveryStore, PostgreSqlWebhookDeliveryStore>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgreSqlSchemaInitializer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgreSqlNotificationListener>());
        return builder;
    }
}
