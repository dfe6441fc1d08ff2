using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.PostgreSql.Delivery;
using Webhooks.PostgreSql.Schema;
using Webhooks.PostgreSql.Subscriptions;

namespace Webhooks.PostgreSql.Tests.Infrastructure;

/// <summary>The PostgreSQL stores on one schema, built directly (no engine, no host): what the store tests exercise.</summary>
internal sealed class PgStores : IAsyncDisposable
{
    private PgStores(string connectionString, PostgreSqlWebhookDatabase db)
    {
        ConnectionString = connectionString;
        Database = db;
        Subscriptions = new PostgreSqlWebhookSubscriptionStore(db);
        Deliveries = new PostgreSqlWebhookDeliveryStore(db);
    }

    public string ConnectionString { get; }

    public PostgreSqlWebhookDatabase Database { get; }

    public PostgreSqlWebhookSubscriptionStore Subscriptions { get; }

    public PostgreSqlWebhookDeliveryStore Deliveries { get; }

    /// <summary>The stores on <paramref name="schema"/>, migrated and emptied.</summary>
    public static async Task<PgStores> CreateAsync(string connectionString, string schema, bool reset = true)
    {
        var db = Open(connectionString, schema);
        var stores = new PgStores(connectionString, db);
        await db.EnsureSchemaAsync(default);
        if (reset)
        {
            await stores.ExecuteAsync("TRUNCATE {s}.subscriptions, {s}.messages, {s}.deliveries, {s}.attempts, {s}.idempotency_keys");
        }

        return stores;
    }

    /// <summary>A database object on <paramref name="schema"/> that owns its data source; nothing is migrated yet.</summary>
    public static PostgreSqlWebhookDatabase Open(string connectionString, string schema) =>
        new(NpgsqlDataSource.Create(connectionString), ownsDataSource: true, Options.Create(new PostgreSqlWebhookOptions { Schema = schema }), NullLogger<PostgreSqlWebhookDatabase>.Instance);

    /// <summary>Runs SQL with <c>{s}</c> standing for the schema.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(Database.Sql(sql));
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Reads one value with <c>{s}</c> standing for the schema.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(Database.Sql(sql));
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public ValueTask DisposeAsync() => Database.DisposeAsync();
}
