-- The floor: GET /healthz, answered by the router without the database.
package.path = package.path .. ";" .. (os.getenv("WRK_DIR") or ".") .. "/?.lua"
local common = require("common")
done = common.done
