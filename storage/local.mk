# storage/: the plugin ABI header, the loader, and the fs and tar plugins.
include_HEADERS += storage/mbk_storage.h
