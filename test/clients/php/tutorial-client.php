<?php
/**
 * Legacy PHP in the style of the classic WeChat tutorials (the JS-SDK demo's jssdk.php and the
 * countless copies of it): an AccessToken helper that keeps the token in a JSON file with
 * expire_time = time() + 7000, curl for the token, file_get_contents for the API calls,
 * json_decode everywhere. It talks to https://api.weixin.qq.com; the test moves it to the hub by
 * replacing that host and nothing else.
 *
 *   php tutorial-client.php APPID SECRET CACHE_FILE
 *
 * Prints one JSON line: {"token_fetches":N,"total":N,"users":[...],"errors":[...]}.
 */

class AccessToken
{
    private $appId;
    private $appSecret;
    private $cacheFile;
    public $fetches = 0;

    public function __construct($appId, $appSecret, $cacheFile)
    {
        $this->appId = $appId;
        $this->appSecret = $appSecret;
        $this->cacheFile = $cacheFile;
    }

    public function getAccessToken()
    {
        // access_token 应该全局存储与更新，以下代码以写入到文件中做示例
        $data = json_decode(@file_get_contents($this->cacheFile));
        if (!$data || $data->expire_time < time()) {
            $url = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid="
                . $this->appId . "&secret=" . $this->appSecret;
            $res = json_decode($this->httpGet($url));
            $this->fetches++;
            $access_token = isset($res->access_token) ? $res->access_token : null;
            if (!$access_token) {
                throw new Exception("cgi-bin/token: " . json_encode($res));
            }
            $data = new stdClass();
            $data->expire_time = time() + 7000;
            $data->access_token = $access_token;
            file_put_contents($this->cacheFile, json_encode($data));
        } else {
            $access_token = $data->access_token;
        }
        return $access_token;
    }

    private function httpGet($url)
    {
        $curl = curl_init();
        curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
        curl_setopt($curl, CURLOPT_TIMEOUT, 10);
        curl_setopt($curl, CURLOPT_SSL_VERIFYPEER, false);
        curl_setopt($curl, CURLOPT_SSL_VERIFYHOST, false);
        curl_setopt($curl, CURLOPT_URL, $url);
        $res = curl_exec($curl);
        if ($res === false) {
            throw new Exception("curl: " . curl_error($curl));
        }
        curl_close($curl);
        return $res;
    }
}

function wechat_get($url, &$errors, $what)
{
    $body = @file_get_contents($url);
    $json = $body === false ? null : json_decode($body);
    if ($json === null) {
        $errors[] = "$what: no JSON answer";
    } elseif (isset($json->errcode) && $json->errcode != 0) {
        $errors[] = "$what: " . $json->errcode . " " . $json->errmsg;
        $json = null;
    }
    return $json;
}

list(, $appId, $appSecret, $cacheFile) = $argv;
$tokens = new AccessToken($appId, $appSecret, $cacheFile);
$errors = array();
$users = array();

$list = wechat_get("https://api.weixin.qq.com/cgi-bin/user/get?access_token="
    . $tokens->getAccessToken() . "&next_openid=", $errors, "user/get");
$openids = ($list && isset($list->data->openid)) ? $list->data->openid : array();
foreach ($openids as $openid) {
    $info = wechat_get("https://api.weixin.qq.com/cgi-bin/user/info?access_token="
        . $tokens->getAccessToken() . "&openid=" . $openid . "&lang=zh_CN", $errors, "user/info");
    if ($info) {
        $users[] = array("openid" => $info->openid, "subscribe" => $info->subscribe);
    }
}

echo json_encode(array(
    "token_fetches" => $tokens->fetches,
    "total" => $list ? $list->total : null,
    "users" => $users,
    "errors" => $errors,
)) . "\n";
