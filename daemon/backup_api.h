// Backups of the node's database through the local API, only into paths.backup_dir:
//
//   POST /api/backup {"name": FILE}   201 {name, path, bytes, events, last_seq}
//        FILE is a file name, never a path (api_commands.h: backup_name_problem); without it the
//        node picks casesync-<node>-<UTC time>.db. The file is created with O_EXCL (409 when it
//        exists: a backup never replaces a file) and 0600, then filled through SQLite's online
//        backup API and integrity-checked before the answer.
//   GET  /api/backups/{name}          200 the file (application/vnd.sqlite3), streamed by the
//        front from the file as the client reads it (casesyncctl backup FILE uses both).
#pragma once

namespace httplib {
class Server;
}

namespace casesync {

class NodeRuntime;

void register_backup_routes(httplib::Server& server, NodeRuntime& runtime);

}  // namespace casesync
