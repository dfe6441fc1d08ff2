using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Webhooks.Abstractions;
using Webhooks.Abstractions.Delivery;
using Webhooks.Abstractions.Subscriptions;
using Webhooks.Sqlite.Schema;

namespace Webhooks.Sqlite.Subscriptions;

/// <summary>
/// Subscriptions in SQLite: the whole record as JSON beside the columns that are queried, and one
/// <c>subscription_events</c> row per listed event name or pattern so a publish looks subscribers up by index.
/// </summary>
internal sealed class SqliteWebhookSubscriptionStore(SqliteWebhookDatabase database) : IWebhookSubscriptionStore
{
    internal const string FindSql = """
        SELECT body FROM subscriptions
        WHERE active = 1 AND id IN (SELECT subscription_id FROM subscription_events WHERE owner IS $owner AND pattern IN ({0}))
        ORDER BY id;
        """;

    public Task<WebhookSubscription> CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var stored = subscription with { Version = 1 };
        return database.WriteAsync(connection =>
        {
            Save(connection, stored, "INSERT INTO subscriptions (id, owner, name, active, version, body) VALUES ($id, $owner, $name, $active, $version, $body);");
            return stored;
        }, cancellationToken);
    }

    public Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken) =>
        database.ReadAsync(connection => Get(connection, id), cancellationToken);

    public Task<WebhookPage<WebhookSubscription>> ListAsync(WebhookSubscriptionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new StringBuilder("SELECT body FROM subscriptions s WHERE owner IS $owner");
        sql.Append(query.Cursor is null ? "" : " AND id > $cursor");
        sql.Append(query.Active is null ? "" : " AND active = $active");
        sql.Append(query.Event is null ? "" : " AND EXISTS (SELECT 1 FROM subscription_events e WHERE e.owner IS s.owner AND e.pattern = $event AND e.subscription_id = s.id)");
        sql.Append(" ORDER BY id LIMIT $limit;");
        return database.ReadAsync(connection =>
        {
            using var command = connection.Command(sql.ToString(), ("$owner", query.Owner), ("$cursor", query.Cursor), ("$active", query.Active), ("$event", query.Event), ("$limit", query.Limit + 1));
            return WebhookPaging.FromOverfetch(ReadAll(command), query.Limit, s => s.Id);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<WebhookSubscription>> FindForEventAsync(string? owner, IReadOnlyList<string> patterns, WebhookEnqueueContext? context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        if (patterns.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<WebhookSubscription>>([]);
        }

        // The context is an app transaction in another database; this store has nothing to join.
        return database.ReadAsync<IReadOnlyList<WebhookSubscription>>(connection =>
        {
            var names = string.Join(", ", patterns.Select((_, i) => $"$p{i}"));
            using var command = connection.Command(FindSql.Replace("{0}", names, StringComparison.Ordinal), ("$owner", owner));
            for (int i = 0; i < patterns.Count; i++)
            {
                command.Parameters.AddWithValue($"$p{i}", patterns[i]);
            }

            return ReadAll(command);
        }, cancellationToken);
    }

    public Task<WebhookSubscription?> UpdateAsync(WebhookSubscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return database.WriteAsync(connection =>
        {
            if (Get(connection, subscription.Id) is not { } current)
            {
                return null;
            }

            if (current.Version != subscription.Version)
            {
                throw new WebhookConcurrencyException(subscription.Id, subscription.Version, current.Version);
            }

            var stored = subscription with { Owner = current.Owner, CreatedAt = current.CreatedAt, Version = current.Version + 1 };
            connection.Execute("DELETE FROM subscription_events WHERE subscription_id = $id;", ("$id", stored.Id));
            Save(connection, stored, "UPDATE subscriptions SET name = $name, active = $active, version = $version, body = $body WHERE id = $id;");
            return stored;
        }, cancellationToken);
    }

    public Task<bool> DeleteAsync(string id, long? expectedVersion, CancellationToken cancellationToken) =>
        database.WriteAsync(connection =>
        {
            if (Get(connection, id) is not { } current)
            {
                return false;
            }

            if (expectedVersion is { } expected && expected != current.Version)
            {
                throw new WebhookConcurrencyException(id, expected, current.Version);
            }

            return connection.Execute("DELETE FROM subscriptions WHERE id = $id;", ("$id", id)) == 1; // events cascade
        }, cancellationToken);

    private static WebhookSubscription? Get(SqliteConnection connection, string id)
    {
        using var command = connection.Command("SELECT body FROM subscriptions WHERE id = $id;", ("$id", id));
        return ReadAll(command) is [var found] ? found : null;
    }

    private static void Save(SqliteConnection connection, WebhookSubscription s, string sql)
    {
        try
        {
            connection.Execute(sql, ("$id", s.Id), ("$owner", s.Owner), ("$name", s.Name), ("$active", s.Active), ("$version", s.Version),
                ("$body", JsonSerializer.Serialize(s, SqliteJsonContext.Default.WebhookSubscription)));
        }
        catch (SqliteException e) when (e.SqliteExtendedErrorCode is SQLitePrimaryKey or SQLiteUnique)
        {
            throw new WebhookConflictException(e.SqliteExtendedErrorCode == SQLitePrimaryKey
                ? $"A subscription with id '{s.Id}' already exists; create it with a new id."
                : $"The owner already has a subscription named '{s.Name}'; choose another name.");
        }

        using var insert = connection.Command("INSERT INTO subscription_events (owner, pattern, subscription_id) VALUES ($owner, $pattern, $id);", ("$owner", s.Owner), ("$pattern", ""), ("$id", s.Id));
        foreach (var pattern in s.Events.Distinct(StringComparer.Ordinal))
        {
            insert.Parameters["$pattern"].Value = pattern;
            insert.ExecuteNonQuery();
        }
    }

    private static List<WebhookSubscription> ReadAll(SqliteCommand command)
    {
        var found = new List<WebhookSubscription>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            found.Add(JsonSerializer.Deserialize(reader.GetString(0), SqliteJsonContext.Default.WebhookSubscription)!);
        }

        return found;
    }

    private const int SQLitePrimaryKey = 1555; // SQLITE_CONSTRAINT_PRIMARYKEY
    private const int SQLiteUnique = 2067; // SQLITE_CONSTRAINT_UNIQUE
}

/// <summary>Source-generated JSON for the subscription body (trimming- and AOT-safe).</summary>
[JsonSerializable(typeof(WebhookSubscription))]
internal sealed partial class SqliteJsonContext : JsonSerializerContext;
